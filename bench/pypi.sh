#!/usr/bin/env bash
# Times `stockpile build` of a PyPI repository of N wheels, cold (no cache,
# no previous output) and warm (one wheel added, cache and previous output
# kept). Prints medians of RUNS runs and the peak memory of stockpile. The
# corpus comes from ../shared/bench/make-corpus.sh (python3, standard library
# only; N wheels in N/4 projects). Needs GNU time.
#
#   bench/pypi.sh [N]        (default 10000; RUNS=3; CORPUS=path/to/make-corpus.sh)
set -euo pipefail
N=${1:-10000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/bench/make-corpus.sh}
OUT=$ROOT/bench/out/pypi-$N
BIN=$OUT/stockpile
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C

go build -o "$BIN" "$ROOT/cmd/stockpile"

# The corpus, flattened into one folder so that one --url prefix names them all.
if [ ! -d "$OUT/wheels" ]; then
  echo "making $N wheels ..." >&2
  rm -rf "$OUT/corpus" && "$CORPUS" "$N" "$OUT/corpus" 0 pypi
  mkdir -p "$OUT/wheels.tmp" && find "$OUT/corpus/pypi" -name '*.whl' -exec cp -l -t "$OUT/wheels.tmp" {} +
  mv "$OUT/wheels.tmp" "$OUT/wheels"
fi
rm -rf "$OUT/extra" "$OUT/extra-corpus" && "$CORPUS" "$RUNS" "$OUT/extra-corpus" "$N" pypi
mkdir -p "$OUT/extra" && find "$OUT/extra-corpus/pypi" -name '*.whl' -exec cp -l -t "$OUT/extra" {} +
mapfile -t EXTRA < <(ls "$OUT"/extra/*.whl)

# The registry: manifests point at the corpus with file:// URLs.
REG=$OUT/registry
rm -rf "$REG" && "$BIN" init "$REG" >/dev/null 2>&1
find "$OUT/wheels" -name '*.whl' -print0 | sort -z |
  xargs -0 -n 5000 "$BIN" add -C "$REG" --url "file://$OUT/wheels/" >/dev/null 2>&1

# seconds CMD... : prints wall seconds; keeps the peak RSS (KiB) in $OUT/rss
# and the CPU seconds (user + system) in $OUT/cpu, which a busy machine
# inflates less than wall time.
seconds() {
  /usr/bin/time -f "%e %M %U %S" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" || { cat "$OUT/stderr" >&2; exit 1; }
  read -r secs rss user sys <"$OUT/time"
  echo "$rss" >"$OUT/rss"
  awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f\n", u + s }' >"$OUT/cpu"
  echo "$secs"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a cold cold_rss cold_cpu warm warm_rss warm_cpu
for _ in $(seq "$RUNS"); do
  rm -rf "$REG/public" "$REG/.stockpile/cache"
  cold+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); cold_rss+=("$(cat "$OUT/rss")"); cold_cpu+=("$(cat "$OUT/cpu")")
done
"$BIN" build -C "$REG" -o "$REG/public" >/dev/null 2>&1
for whl in "${EXTRA[@]}"; do
  "$BIN" add -C "$REG" --url "file://$OUT/extra/" "$whl" >/dev/null 2>&1
  warm+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); warm_rss+=("$(cat "$OUT/rss")"); warm_cpu+=("$(cat "$OUT/cpu")")
done

files=$(find "$REG/public/pypi" -type f | wc -l)
mem=$(printf '%s\n' "${cold_rss[@]}" "${warm_rss[@]}" | sort -n | tail -1)
printf '%-44s %8s %8s\n' "pypi, $N wheels (median of $RUNS)" "wall s" "CPU s"
printf '%-44s %8s %8s\n' "stockpile build, cold" "$(printf '%s\n' "${cold[@]}" | median)" "$(printf '%s\n' "${cold_cpu[@]}" | median)"
printf '%-44s %8s %8s\n' "stockpile build, one wheel added" "$(printf '%s\n' "${warm[@]}" | median)" "$(printf '%s\n' "${warm_cpu[@]}" | median)"
printf '%-44s %8s MiB\n' "stockpile peak memory" "$((mem / 1024))"
printf '%-44s %8s\n' "files under pypi/" "$files"
printf '%-44s %8s\n' "load average (1 min) at the end" "$(cut -d' ' -f1 /proc/loadavg)"
