#!/usr/bin/env bash
# Times `stockpile build` of N npm tarballs (grouped four versions to a
# package, a fifth of them scoped), cold and warm (one tarball added), with
# registry signatures on. Prints medians of RUNS runs and the peak memory.
# There is no reference tool to compare with: static npm registries are
# usually written by hand or served by a registry server. The corpus comes
# from the shared generator (python3, standard library only).
#
#   bench/npm.sh [N]        (default 10000; RUNS=3; CORPUS=path/to/make-corpus.sh)
set -euo pipefail
N=${1:-10000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/bench/make-corpus.sh}
OUT=$ROOT/bench/out/npm-$N
BIN=$OUT/stockpile
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C

go build -o "$BIN" "$ROOT/cmd/stockpile"

# flat DIR BATCH: the tarballs of a corpus batch in one folder (the corpus
# keeps a folder per package; file names are unique across packages).
flat() { mkdir -p "$1"; find "$2/npm" -name '*.tgz' -exec ln -f {} "$1/" \;; }
if [ ! -d "$OUT/corpus-tgz" ]; then
  echo "making $N npm tarballs ..." >&2
  "$CORPUS" "$N" "$OUT/corpus" 0 npm >/dev/null
  flat "$OUT/corpus-tgz" "$OUT/corpus"
fi
rm -rf "$OUT/extra" "$OUT/extra-tgz"
"$CORPUS" "$RUNS" "$OUT/extra" "$N" npm >/dev/null
flat "$OUT/extra-tgz" "$OUT/extra"
mapfile -t EXTRA < <(ls "$OUT"/extra-tgz/*.tgz)

REG=$OUT/registry
rm -rf "$REG" && "$BIN" init "$REG" >/dev/null 2>&1
find "$OUT/corpus-tgz" -name '*.tgz' -print0 |
  xargs -0 -n 2000 "$BIN" add -C "$REG" --url "file://$OUT/corpus-tgz/" 2>/dev/null

# seconds CMD... : prints wall seconds; keeps the peak RSS (KiB) in $OUT/rss.
seconds() {
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" || { cat "$OUT/stderr" >&2; exit 1; }
  read -r secs rss <"$OUT/time"
  echo "$rss" >"$OUT/rss"
  echo "$secs"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a cold cold_rss
for _ in $(seq "$RUNS"); do
  rm -rf "$REG/public" "$REG/.stockpile/cache"
  cold+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); cold_rss+=("$(cat "$OUT/rss")")
done

# Warm: the cache and previous output in place; each run adds one tarball.
"$BIN" build -C "$REG" -o "$REG/public" 2>/dev/null
declare -a warm warm_rss
for tgz in "${EXTRA[@]}"; do
  "$BIN" add -C "$REG" --url "file://$OUT/extra-tgz/" "$tgz" 2>/dev/null
  warm+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); warm_rss+=("$(cat "$OUT/rss")")
done
written=$(grep -o '[0-9]* written' "$OUT/stderr" | head -1)

c=$(printf '%s\n' "${cold[@]}" | median); w=$(printf '%s\n' "${warm[@]}" | median)
mem=$(printf '%s\n' "${cold_rss[@]}" "${warm_rss[@]}" | sort -n | tail -1)
files=$(find "$REG/public/npm" -type f | wc -l)
printf '%-44s %8s\n' "npm, $N tarballs (median of $RUNS)" "seconds"
printf '%-44s %8s\n' "stockpile build, cold" "$c"
printf '%-44s %8s   (%s)\n' "stockpile build, one tarball added" "$w" "$written"
printf '%-44s %8s MiB\n' "stockpile peak memory" "$((mem / 1024))"
printf '%-44s %8s\n' "files in the npm tree" "$files"
printf '%-44s %8s\n' "load average at the end" "$(cut -d' ' -f1-3 /proc/loadavg)"
