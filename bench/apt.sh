#!/usr/bin/env bash
# Times `stockpile build` of N .deb files against Debian's apt-ftparchive
# pipeline (packages + gzip -9 + xz -6 + release) on the same files, cold and
# warm (one .deb added), in one run. Prints medians of RUNS runs and the peak
# memory of stockpile. Needs apt-utils (apt-ftparchive), xz-utils and GNU time.
#
#   bench/apt.sh [N]        (default 10000; RUNS=3)
set -euo pipefail
N=${1:-10000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out/apt-$N
BIN=$OUT/stockpile
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C

go build -o "$BIN" "$ROOT/cmd/stockpile"
go build -o "$OUT/corpus" "$ROOT/bench/corpus"

if [ ! -d "$OUT/corpus-debs" ]; then
  echo "making $N .debs ..." >&2
  "$OUT/corpus" -n "$N" -o "$OUT/corpus-debs"
fi
rm -rf "$OUT/extra" && "$OUT/corpus" -n "$RUNS" -start "$N" -o "$OUT/extra"
mapfile -t EXTRA < <(ls "$OUT"/extra/*.deb)

# The stockpile registry: manifests point at the corpus with file:// URLs.
REG=$OUT/registry
rm -rf "$REG" && "$BIN" init "$REG" >/dev/null 2>&1
find "$OUT/corpus-debs" -name '*.deb' -print0 | sort -z |
  xargs -0 -n 5000 "$BIN" add -C "$REG" --url "file://$OUT/corpus-debs/" 2>/dev/null

# The reference: a pool with the same files.
REF=$OUT/ref
rm -rf "$REF" && mkdir -p "$REF/pool" "$REF/dists/stable/main/binary-amd64"
find "$OUT/corpus-debs" -name '*.deb' -print0 | xargs -0 cp -t "$REF/pool/"

# seconds CMD... : prints wall seconds; keeps the peak RSS (KiB) in $OUT/rss.
seconds() {
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" || { cat "$OUT/stderr" >&2; exit 1; }
  read -r secs rss <"$OUT/time"
  echo "$rss" >"$OUT/rss"
  echo "$secs"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ftparchive() { # $1: extra apt-ftparchive options
  cd "$REF"
  apt-ftparchive $1 packages pool > dists/stable/main/binary-amd64/Packages
  gzip -9 -k -f dists/stable/main/binary-amd64/Packages
  xz -6 -k -f dists/stable/main/binary-amd64/Packages
  apt-ftparchive release dists/stable > dists/stable/Release
}
export -f ftparchive; export REF

stockpile_cold() { rm -rf "$REG/public" "$REG/.stockpile/cache"; seconds "$BIN" build -C "$REG" -o "$REG/public"; }

declare -a ref_cold sp_cold sp_cold_rss
for _ in $(seq "$RUNS"); do
  ref_cold+=("$(seconds bash -c 'ftparchive ""')")
  sp_cold+=("$(stockpile_cold)"); sp_cold_rss+=("$(cat "$OUT/rss")")
done

# Warm: the reference with its --db cache filled, stockpile with its cache and
# previous output; then each run adds one new .deb to both.
rm -f "$OUT/ftparchive.db"
seconds bash -c "ftparchive '--db $OUT/ftparchive.db'" >/dev/null
"$BIN" build -C "$REG" -o "$REG/public" 2>/dev/null
declare -a ref_warm sp_warm sp_warm_rss
for deb in "${EXTRA[@]}"; do
  cp "$deb" "$REF/pool/"
  ref_warm+=("$(seconds bash -c "ftparchive '--db $OUT/ftparchive.db'")")
  "$BIN" add -C "$REG" --url "file://$OUT/extra/" "$deb" 2>/dev/null
  sp_warm+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); sp_warm_rss+=("$(cat "$OUT/rss")")
done

rc=$(printf '%s\n' "${ref_cold[@]}" | median); sc=$(printf '%s\n' "${sp_cold[@]}" | median)
rw=$(printf '%s\n' "${ref_warm[@]}" | median); sw=$(printf '%s\n' "${sp_warm[@]}" | median)
mem=$(printf '%s\n' "${sp_cold_rss[@]}" "${sp_warm_rss[@]}" | sort -n | tail -1)
printf '%-44s %8s\n' "apt, $N .debs (median of $RUNS)" "seconds"
printf '%-44s %8s\n' "apt-ftparchive pipeline, cold" "$rc"
printf '%-44s %8s   %sx faster\n' "stockpile build, cold" "$sc" "$(echo "scale=1; $rc/$sc" | bc)"
printf '%-44s %8s\n' "apt-ftparchive --db pipeline, one .deb added" "$rw"
printf '%-44s %8s   %sx faster\n' "stockpile build, one .deb added" "$sw" "$(echo "scale=1; $rw/$sw" | bc)"
printf '%-44s %8s MiB\n' "stockpile peak memory" "$((mem / 1024))"
