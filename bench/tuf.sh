#!/usr/bin/env bash
# TUF at scale: builds a registry of N .debs (apt corpus, as bench/apt.sh)
# with TUF on, then reports
#   - the bytes of metadata a fresh client downloads to verify one artifact
#     (root, timestamp, snapshot, targets, the repository's role, its bin),
#   - the time of the TUF step and of the whole build after one .deb is added,
#   - that `stockpile get` verifies that artifact from `stockpile serve`.
# Medians of RUNS warm builds. Results also go to bench/out/tuf-N.txt.
#
#   bench/tuf.sh [N]        (default 100000; RUNS=3)
set -euo pipefail
N=${1:-100000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out/tuf-$N
BIN=$OUT/stockpile
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=$(date +%s) LC_ALL=C

go build -o "$BIN" "$ROOT/cmd/stockpile"
go build -o "$OUT/corpus" "$ROOT/bench/corpus"
# The apt benchmark's corpus is reused when it is there.
DEBS=$ROOT/bench/out/apt-$N/corpus-debs
if [ ! -d "$DEBS" ]; then
  DEBS=$OUT/corpus-debs
  [ -d "$DEBS" ] || { echo "making $N .debs ..." >&2; "$OUT/corpus" -n "$N" -o "$DEBS"; }
fi
REG=$OUT/registry
if [ ! -f "$REG/repos.yaml" ]; then
  "$BIN" init "$REG" >/dev/null 2>&1
  find "$DEBS" -name '*.deb' -print0 | sort -z |
    xargs -0 -n 5000 "$BIN" add -C "$REG" --url "file://$DEBS/" 2>/dev/null
fi
# New .debs each run, numbered after those an earlier run added.
HAVE=$(find "$REG/packages" -name '*.yaml' | wc -l)
EXTRA_DIR=$OUT/extra-$HAVE
"$OUT/corpus" -n "$RUNS" -start "$HAVE" -o "$EXTRA_DIR"
mapfile -t EXTRA < <(ls "$EXTRA_DIR"/*.deb)
rm -rf "$OUT/public"
echo "cold build of $N .debs ..." >&2
/usr/bin/time -f "%e" -o "$OUT/time" "$BIN" build -C "$REG" -o "$OUT/public" >/dev/null 2>&1
COLD=$(cat "$OUT/time")

warm=() tuf=()
for i in $(seq 0 $((RUNS - 1))); do
  "$BIN" add -C "$REG" --url "file://$EXTRA_DIR/" "${EXTRA[$i]}" >/dev/null 2>&1
  export SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 60))
  /usr/bin/time -f "%e" -o "$OUT/time" "$BIN" build -v -C "$REG" -o "$OUT/public" >/dev/null 2>"$OUT/build.log"
  warm+=("$(cat "$OUT/time")")
  tuf+=("$(sed -n 's/.*step=tuf took=\([0-9.]*\)\(m\?s\).*/\1 \2/p' "$OUT/build.log" | awk '{ print ($2 == "ms") ? $1 / 1000 : $1 }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# The metadata a client needs for one artifact, read off the built tree.
TARGET=$(cd "$OUT/public" && find apt/pool -name "*.deb" -print -quit)
BYTES=$(python3 - "$OUT/public" "$TARGET" <<'PY'
import hashlib, json, os, sys
root, target = sys.argv[1], sys.argv[2]
tuf = os.path.join(root, "tuf")
def load(name): return json.load(open(os.path.join(tuf, name)))
ts = load("timestamp.json")
snap_v = ts["signed"]["meta"]["snapshot.json"]["version"]
snap = load(f"{snap_v}.snapshot.json")["signed"]["meta"]
roots = sorted(f for f in os.listdir(tuf) if f.endswith(".root.json"))
files = [roots[-1] if len(roots) == 1 else roots[0], "timestamp.json", f"{snap_v}.snapshot.json",
         f"{snap['targets.json']['version']}.targets.json", f"{snap['apt.json']['version']}.apt.json"]
role = load(files[-1])["signed"]
succinct = (role.get("delegations") or {}).get("succinct_roles")
if succinct:
    bits = succinct["bit_length"]
    n = int.from_bytes(hashlib.sha256(target.encode()).digest()[:4], "big") >> (32 - bits)
    name = "%s-%0*x" % (succinct["name_prefix"], len("%x" % ((1 << bits) - 1)), n)
    files.append(f"{snap[name + '.json']['version']}.{name}.json")
sizes = [os.path.getsize(os.path.join(tuf, f)) for f in files]
print(sum(sizes), " ".join(f"{f}={s}" for f, s in zip(files, sizes)))
PY
)

# And a real client verifies it.
PORT=$((20000 + RANDOM % 10000))
"$BIN" serve "$OUT/public" --addr 127.0.0.1:$PORT 2>/dev/null & SERVE=$!
trap 'kill $SERVE 2>/dev/null' EXIT
sleep 1
"$BIN" get --root "$REG/tuf/root.json" --metadata-dir "$OUT/client" -o "$OUT/got.deb" \
  http://127.0.0.1:$PORT/ "$TARGET" 2>"$OUT/get.log" && GET=verified || GET="FAILED: $(cat "$OUT/get.log")"

{
  echo "TUF, $N .debs ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "cold build:                          ${COLD} s"
  echo "one .deb added, whole build:         $(median "${warm[@]}") s (runs: ${warm[*]})"
  echo "one .deb added, TUF step:            $(median "${tuf[@]}") s (runs: ${tuf[*]})"
  echo "client metadata for one artifact:    ${BYTES%% *} bytes (${BYTES#* })"
  echo "stockpile get $TARGET: $GET"
} | tee "$OUT.txt"
