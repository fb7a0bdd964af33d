#!/usr/bin/env bash
# Times `stockpile build` of a yum repository of N rpms against createrepo_c on
# the same files, cold (no cache, no previous output or repodata) and warm (one
# rpm added; stockpile with its cache and previous output, createrepo_c with
# --update). createrepo_c runs twice each way: as it runs by default (with
# sqlite databases) and with --no-database (the same three XML files stockpile
# writes). Prints medians of RUNS runs, the ratios, and stockpile's peak
# memory. The corpus comes from ../shared/bench/make-corpus.sh (python3 and
# rpmbuild). Needs createrepo_c (Debian createrepo-c) and GNU time.
#
#   bench/yum.sh [N]        (default 10000; RUNS=3; CORPUS=path/to/make-corpus.sh)
set -euo pipefail
N=${1:-10000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/bench/make-corpus.sh}
OUT=$ROOT/bench/out/yum-$N
BIN=$OUT/stockpile
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C

go build -o "$BIN" "$ROOT/cmd/stockpile"

# The corpus, flattened into one folder so that one --url prefix names them
# all, and createrepo_c indexes exactly the same files.
if [ ! -d "$OUT/rpms" ]; then
  echo "making $N rpms (about 2 minutes for 10,000) ..." >&2
  rm -rf "$OUT/corpus" && "$CORPUS" "$N" "$OUT/corpus" 0 rpm
  mkdir -p "$OUT/rpms.tmp" && find "$OUT/corpus/rpm" -name '*.rpm' -exec cp -l -t "$OUT/rpms.tmp" {} +
  mv "$OUT/rpms.tmp" "$OUT/rpms"
fi
rm -rf "$OUT/extra" "$OUT/extra-corpus" && "$CORPUS" "$RUNS" "$OUT/extra-corpus" "$N" rpm
mkdir -p "$OUT/extra" && find "$OUT/extra-corpus/rpm" -name '*.rpm' -exec cp -l -t "$OUT/extra" {} +
# Manifest file names do not allow '^' (post-release versions): rename those
# files on both sides; nothing reads an rpm's file name.
for f in "$OUT"/rpms/*^* "$OUT"/extra/*^*; do
  [ -e "$f" ] && mv "$f" "${f//^/_}"
done
mapfile -t EXTRA < <(ls "$OUT"/extra/*.rpm)

# The registry: manifests point at the corpus with file:// URLs.
REG=$OUT/registry
rm -rf "$REG" && "$BIN" init "$REG" >/dev/null 2>&1
find "$OUT/rpms" -name '*.rpm' -print0 | sort -z |
  xargs -0 -n 5000 "$BIN" add -C "$REG" --url "file://$OUT/rpms/" >/dev/null 2>&1

# The reference: the same files in their own folder (createrepo_c writes
# repodata/ next to them, and --update adds the extra rpms there).
REF=$OUT/ref
rm -rf "$REF" && mkdir -p "$REF" && find "$OUT/rpms" -name '*.rpm' -exec cp -l -t "$REF" {} +

# seconds CMD... : prints wall seconds; keeps the peak RSS (KiB) in $OUT/rss.
seconds() {
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" || { cat "$OUT/stderr" >&2; exit 1; }
  read -r secs rss <"$OUT/time"
  echo "$rss" >"$OUT/rss"
  echo "$secs"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=1; $1/$2" | bc; }

declare -a cr_cold crn_cold sp_cold sp_cold_rss
for _ in $(seq "$RUNS"); do
  rm -rf "$REF/repodata"; cr_cold+=("$(seconds createrepo_c "$REF")")
  rm -rf "$REF/repodata"; crn_cold+=("$(seconds createrepo_c --no-database "$REF")")
  rm -rf "$REG/public" "$REG/.stockpile/cache"
  sp_cold+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); sp_cold_rss+=("$(cat "$OUT/rss")")
done

# Warm: each run adds one new rpm to both sides. createrepo_c --update reuses
# the metadata of files whose size and mtime did not change.
rm -rf "$REF/repodata" && createrepo_c "$REF" >/dev/null 2>&1
cp -a "$REF/repodata" "$OUT/repodata-db"
rm -rf "$REF/repodata" && createrepo_c --no-database "$REF" >/dev/null 2>&1
cp -a "$REF/repodata" "$OUT/repodata-nodb"
"$BIN" build -C "$REG" -o "$REG/public" >/dev/null 2>&1
declare -a cr_warm crn_warm sp_warm sp_warm_rss
for rpm in "${EXTRA[@]}"; do
  cp -l "$rpm" "$REF/"
  rm -rf "$REF/repodata" && cp -a "$OUT/repodata-db" "$REF/repodata"
  cr_warm+=("$(seconds createrepo_c --update "$REF")")
  rm -rf "$OUT/repodata-db" && cp -a "$REF/repodata" "$OUT/repodata-db"
  rm -rf "$REF/repodata" && cp -a "$OUT/repodata-nodb" "$REF/repodata"
  crn_warm+=("$(seconds createrepo_c --update --no-database "$REF")")
  rm -rf "$OUT/repodata-nodb" && cp -a "$REF/repodata" "$OUT/repodata-nodb"
  "$BIN" add -C "$REG" --url "file://$OUT/extra/" "$rpm" >/dev/null 2>&1
  sp_warm+=("$(seconds "$BIN" build -C "$REG" -o "$REG/public")"); sp_warm_rss+=("$(cat "$OUT/rss")")
done

rc=$(printf '%s\n' "${cr_cold[@]}" | median); rcn=$(printf '%s\n' "${crn_cold[@]}" | median)
sc=$(printf '%s\n' "${sp_cold[@]}" | median)
rw=$(printf '%s\n' "${cr_warm[@]}" | median); rwn=$(printf '%s\n' "${crn_warm[@]}" | median)
sw=$(printf '%s\n' "${sp_warm[@]}" | median)
mem=$(printf '%s\n' "${sp_cold_rss[@]}" "${sp_warm_rss[@]}" | sort -n | tail -1)
printf '%-52s %8s\n' "yum, $N rpms (median of $RUNS)" "seconds"
printf '%-52s %8s\n' "createrepo_c, cold" "$rc"
printf '%-52s %8s\n' "createrepo_c --no-database, cold" "$rcn"
printf '%-52s %8s   %sx / %sx faster\n' "stockpile build, cold" "$sc" "$(ratio "$rc" "$sc")" "$(ratio "$rcn" "$sc")"
printf '%-52s %8s\n' "createrepo_c --update, one rpm added" "$rw"
printf '%-52s %8s\n' "createrepo_c --update --no-database, one rpm added" "$rwn"
printf '%-52s %8s   %sx / %sx faster\n' "stockpile build, one rpm added" "$sw" "$(ratio "$rw" "$sw")" "$(ratio "$rwn" "$sw")"
printf '%-52s %8s MiB\n' "stockpile peak memory" "$((mem / 1024))"
printf '%-52s %8s\n' "load average (1 min) at the end" "$(cut -d' ' -f1 /proc/loadavg)"
