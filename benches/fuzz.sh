#!/usr/bin/env bash
# A short coverage-guided fuzz run of every target in fuzz/ (cargo fuzz, libFuzzer), starting
# from the committed seeds in fuzz/corpus/<target>/ (copied: new inputs go to
# target/fuzz-corpus/). Crashes land in fuzz/artifacts/<target>/ and fail the script.
# Usage: benches/fuzz.sh [SECONDS per target, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# Stable toolchain: libFuzzer's instrumentation flags are unlocked with RUSTC_BOOTSTRAP; no
# sanitizer (a panic is what the targets look for; AddressSanitizer needs a nightly std).
export RUSTC_BOOTSTRAP=1
(cd fuzz && cargo fuzz build --sanitizer none -O)
status=0
printf '%-12s %10s %10s %8s %s\n' target runs exec/s corpus result
for t in geojson csv osm_xml osm_pbf shapefile dbf incidents mvt_decode mvt_encode; do
  work=target/fuzz-corpus/$t
  mkdir -p "$work" "fuzz/artifacts/$t"
  cp -n fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  log=$(mktemp)
  if (cd fuzz && cargo fuzz run --sanitizer none -O "$t" "../$work" -- \
        -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=4096 >"$log" 2>&1); then
    result=ok
  else
    result="CRASH (see fuzz/artifacts/$t/)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  corpus=$(ls "$work" | wc -l)
  printf '%-12s %10s %10s %8s %s\n' "$t" "$runs" "$speed" "$corpus" "$result"
  [ "$result" = ok ] || tail -30 "$log"
  rm -f "$log"
done
exit $status
