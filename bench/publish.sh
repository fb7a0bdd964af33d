#!/usr/bin/env bash
# Times `stockpile publish` of a built registry of N artifacts to a local
# MinIO: cold (an empty bucket), after one artifact is added and the registry
# rebuilt, and with nothing changed. Records the objects and bytes uploaded
# (from the --json report) and the wall time; prints a table and writes it to
# bench/out/publish.txt. The registry holds N/4 each of .deb, .rpm, wheel and
# npm tarball from ../shared/bench/make-corpus.sh (python3, rpmbuild). MinIO
# is .ci/tools/bin/minio or $MINIO_BIN. Needs GNU time and curl.
#
#   bench/publish.sh [N]    (default 10000; RUNS=3 cold runs, each to a new bucket)
set -euo pipefail
N=${1:-10000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/bench/make-corpus.sh}
MINIO=${MINIO_BIN:-$ROOT/.ci/tools/bin/minio}
OUT=$ROOT/bench/out/publish-$N
BIN=$OUT/stockpile
EACH=$((N / 4))
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C
[ -x "$MINIO" ] || { echo "no minio at $MINIO (set MINIO_BIN, or let .ci/run build it)" >&2; exit 1; }

go build -o "$BIN" "$ROOT/cmd/stockpile"
go build -o "$OUT/mkbucket" "$ROOT/bench/mkbucket"

# The corpus, flattened into one folder so that one --url prefix names it all.
# Manifest file names do not allow '^' (rpm post-release versions): rename
# those; nothing reads an rpm's file name.
flatten() { # CORPUSDIR DEST
  mkdir -p "$2"
  find "$1" -type f \( -name '*.deb' -o -name '*.rpm' -o -name '*.whl' -o -name '*.tgz' \) -exec cp -l -t "$2" {} +
  for f in "$2"/*^*; do [ -e "$f" ] && mv "$f" "${f//^/_}"; done
  return 0
}
if [ ! -d "$OUT/files" ]; then
  echo "making $EACH each of deb, rpm, wheel, npm (about a minute for 10,000) ..." >&2
  rm -rf "$OUT/corpus" "$OUT/files.tmp" && "$CORPUS" "$EACH" "$OUT/corpus" 0 >/dev/null
  flatten "$OUT/corpus" "$OUT/files.tmp" && mv "$OUT/files.tmp" "$OUT/files"
fi
rm -rf "$OUT/extra" "$OUT/extra-corpus" && "$CORPUS" 1 "$OUT/extra-corpus" "$EACH" deb >/dev/null
flatten "$OUT/extra-corpus" "$OUT/extra"
EXTRA=$(ls "$OUT"/extra/*.deb)

# The registry: manifests point at the corpus with file:// URLs. It is
# rebuilt on every run (from its cache after the first), so that the tree is
# what this stockpile writes.
REG=$OUT/registry
if [ "$(cat "$OUT/registry.n" 2>/dev/null)" != "$N" ]; then
  rm -rf "$REG" "$OUT/registry.n" && "$BIN" init "$REG" >/dev/null 2>&1
  find "$OUT/files" -type f -print0 | sort -z |
    xargs -0 -n 2000 "$BIN" add -C "$REG" --url "file://$OUT/files/" >/dev/null 2>&1
  echo "$N" >"$OUT/registry.n"
fi
echo "building the registry ..." >&2
"$BIN" build -C "$REG" -o "$REG/public" >/dev/null 2>&1
PUBLIC=$OUT/public
rm -rf "$PUBLIC" && cp -a "$REG/public" "$PUBLIC"

# MinIO on a free port with a fresh data folder and throwaway credentials.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
console=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$port
rm -rf "$OUT/minio" && mkdir -p "$OUT/minio"
export AWS_ACCESS_KEY_ID=bench$RANDOM$RANDOM AWS_SECRET_ACCESS_KEY=bench-secret-$RANDOM$RANDOM$RANDOM AWS_REGION=us-east-1
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
  MINIO_REGION=us-east-1 HOME="$OUT/minio" "$MINIO" server "$OUT/minio/data" --address "127.0.0.1:$port" \
  --console-address "127.0.0.1:$console" --certs-dir "$OUT/minio/certs" --quiet >"$OUT/minio.log" 2>&1 &
MINIO_PID=$!
trap 'kill "$MINIO_PID" 2>/dev/null; wait "$MINIO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -fs "$ENDPOINT/minio/health/ready" >/dev/null 2>&1 && break
  kill -0 "$MINIO_PID" 2>/dev/null || { cat "$OUT/minio.log" >&2; exit 1; }
  sleep 0.1
done

# publish BUCKET NAME: runs one publish of $PUBLIC, keeps its report as
# $OUT/NAME.json and prints "seconds objects bytes files" (objects: new and
# changed files).
publish() {
  /usr/bin/time -f "%e" -o "$OUT/time" "$BIN" publish "$PUBLIC" --to "s3://$1/registry" --endpoint "$ENDPOINT" --json \
    >"$OUT/$2.json" 2>"$OUT/stderr" || { cat "$OUT/stderr" >&2; exit 1; }
  python3 - "$OUT/$2.json" "$(tail -1 "$OUT/time")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(sys.argv[2], r["new"] + r["changed"], r["bytes_uploaded"], r["files"])
PY
}

# largest NAME: the five largest files the publish of report NAME uploaded.
largest() {
  python3 - "$OUT/$1.json" "$PUBLIC" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
keys = (r["new_keys"] or []) + (r["changed_keys"] or [])
sizes = sorted(((os.path.getsize(os.path.join(sys.argv[2], k)), k) for k in keys), reverse=True)
for size, key in sizes[:5]:
    print("  %8.1f KiB  %s" % (size / 1024, key))
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Cold: each run publishes to a new, empty bucket.
declare -a cold_s
for i in $(seq "$RUNS"); do
  "$OUT/mkbucket" -endpoint "$ENDPOINT" "bench-$i"
  res=$(publish "bench-$i" cold)
  read -r secs objs bytes files <<<"$res"
  cold_s+=("$secs"); cold_objs=$objs cold_bytes=$bytes cold_files=$files
done
cold=$(printf '%s\n' "${cold_s[@]}" | median)
BUCKET=bench-$RUNS

# One artifact added: rebuild a copy of the registry (cache and previous
# output kept, the registry itself left for the next run), publish again.
WREG=$OUT/registry-added
rm -rf "$WREG" && cp -a "$REG" "$WREG"
"$BIN" add -C "$WREG" --url "file://$OUT/extra/" "$EXTRA" >/dev/null 2>&1
"$BIN" build -C "$WREG" -o "$WREG/public" >/dev/null 2>&1
rm -rf "$PUBLIC" && cp -a "$WREG/public" "$PUBLIC"
res=$(publish "$BUCKET" added)
read -r one_s one_objs one_bytes one_files <<<"$res"
top=$(largest added)

# Nothing changed.
res=$(publish "$BUCKET" unchanged)
read -r none_s none_objs none_bytes none_files <<<"$res"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
{
  echo "publish, $N artifacts ($EACH each of deb, rpm, wheel, npm) to a local MinIO"
  printf '%-40s %8s %9s %12s\n' "" "seconds" "objects" "uploaded"
  printf '%-40s %8s %9s %12s\n' "cold, empty bucket (median of $RUNS)" "$cold" "$cold_objs" "$(mib "$cold_bytes")"
  printf '%-40s %8s %9s %12s\n' "one .deb added, rebuilt" "$one_s" "$one_objs" "$(mib "$one_bytes")"
  printf '%-40s %8s %9s %12s\n' "nothing changed" "$none_s" "$none_objs" "$(mib "$none_bytes")"
  printf '%-40s %8s\n' "files in the tree (cold / after add)" "$cold_files / $one_files"
  printf '%-40s %8s\n' "cold runs (seconds)" "${cold_s[*]}"
  printf '%-40s %8s\n' "load average (1 min) at the end" "$(cut -d' ' -f1 /proc/loadavg)"
  echo "largest uploads after one .deb added:"
  echo "$top"
} | tee "$ROOT/bench/out/publish.txt"
