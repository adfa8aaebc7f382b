#!/usr/bin/env bash
# A mixed load on loopback, bounded in time: vector tiles, heat tiles, incident ingest (100 per
# POST), figure reads and planner edits (a split and its undo, again and again) against
# `wangge serve` on a generated demo city, all at once. Reports requests/s, p50/p99 latency and
# errors per kind (wrk), and the server's resident memory sampled every 5 s (printed, and
# plotted to target/load-rss.png when matplotlib is there): it must level off once the tile
# and heat caches (256 + 128 MB at most) have filled, not keep growing.
# Usage: benches/load.sh [SECONDS, default 30] [HOUSEHOLDS, default 20000]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
hh=${2:-20000}
command -v wrk >/dev/null || apt-get install -y wrk
cargo build --release --locked -q
bin=$PWD/target/release/wangge
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; mkdir -p target; for f in "$work"/*.txt; do cp "$f" "target/load-$(basename "$f")"; done 2>/dev/null; cp "$work"/serve.log target/load-serve.log 2>/dev/null; rm -rf "$work"' EXIT
$bin generate --households "$hh" --seed 1 --workspace "$work/w.gpkg" >/dev/null
$bin partition "$work/w.gpkg" >/dev/null
$bin incidents assign "$work/w.gpkg" >/dev/null
token=$($bin token create "$work/w.gpkg" --role admin --name load | sed -n 2p)
port=$((20000 + RANDOM % 20000))
# One admin token for every client, with the per-token rate limit off: the server's capacity
# is measured with the token check in the path.
$bin serve "$work/w.gpkg" --bind 127.0.0.1:$port --rate-limit 0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$port/style.json" && break; sleep 0.1; done
read -r LON LAT < <(sqlite3 "$work/w.gpkg" "SELECT (min_x+max_x)/2, (min_y+max_y)/2 FROM gpkg_contents WHERE table_name='communities'" | tr '|' ' ')
export TOKEN=$token LON LAT
rss() { ps -o rss= -p "$server" | awk '{printf "%.0f", $1/1024}'; }
echo "demo: $hh households; server pid $server; RSS at start $(rss) MB; $secs s of load"
base=http://127.0.0.1:$port
# Resident memory every 5 s: seconds since the start, MB.
(t0=$SECONDS; while kill -0 "$server" 2>/dev/null; do echo "$((SECONDS - t0)) $(rss)"; sleep 5; done) >"$work/rss.txt" 2>/dev/null &
sampler=$!
wrk -t1 -c8 -d"${secs}s" --latency -s benches/load/tiles.lua "$base" >"$work/tiles.txt" &
PREFIX=/heat/ SUFFIX=.png wrk -t1 -c4 -d"${secs}s" -s benches/load/tiles.lua "$base" >"$work/heat.txt" &
wrk -t1 -c2 -d"${secs}s" -s benches/load/ingest.lua "$base" >"$work/ingest.txt" &
wrk -t1 -c2 -d"${secs}s" --latency -H "Authorization: Bearer $token" "$base/api/incidents/summary" >"$work/summary.txt" &
# Planner edits: split the first grid of the newest plan, then restore the plan before.
edits=0; refused=0; failed=0; splits=0; edit_ms=0; edit_max=0
end=$((SECONDS + secs))
while [ $SECONDS -lt $end ]; do
  latest=$(curl -s -H "Authorization: Bearer $token" "$base/api/plans" | python3 -c 'import json,sys; print(json.load(sys.stdin)["plans"][-1]["id"])')
  grid=$(curl -s -H "Authorization: Bearer $token" "$base/api/plans/$latest/grids" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["properties"]["code"])')
  t0=$(date +%s%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -X POST "$base/api/plans/$latest/edits" -d "{\"op\":\"split\",\"grid\":\"$grid\"}")
  ms=$((($(date +%s%N) - t0) / 1000000)); splits=$((splits + 1)); edit_ms=$((edit_ms + ms))
  [ $ms -gt $edit_max ] && edit_max=$ms
  case $code in 201) edits=$((edits+1));; 422) refused=$((refused+1));; *) failed=$((failed+1));; esac
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" -X POST "$base/api/plans/$latest/restore")
  case $code in 201) edits=$((edits+1));; *) failed=$((failed+1));; esac
done
wait $(jobs -p | grep -v "^$server$\|^$sampler$") 2>/dev/null || true
mid=$(rss)
sleep 3
echo
printf '%-10s %10s %10s %10s %10s %10s\n' kind requests req/s errors p50_ms p99_ms
for k in tiles heat ingest summary; do
  line=$(grep RESULT "$work/$k.txt" || true)
  if [ -z "$line" ]; then
    req=$(grep -o '[0-9]* requests in' "$work/$k.txt" | grep -o '^[0-9]*')
    err=$( (grep -o 'Non-2xx or 3xx responses: [0-9]*' "$work/$k.txt" || true) | grep -o '[0-9]*$' || true)
    p50=$( (grep ' 50%' "$work/$k.txt" || true) | awk '{print $2}')
    p99=$( (grep ' 99%' "$work/$k.txt" || true) | awk '{print $2}')
    printf '%-10s %10s %10.0f %10s %10s %10s\n' "$k" "$req" "$(echo "$req / $secs" | bc -l)" "${err:-0}" "${p50:--}" "${p99:--}"
  else
    eval "$(echo "$line" | sed 's/RESULT //')"
    printf '%-10s %10s %10.0f %10s %10s %10s\n' "$k" "$requests" "$(echo "$requests / $secs" | bc -l)" "$((errors_status + errors_other))" "$p50_ms" "$p99_ms"
  fi
done
[ $splits -gt 0 ] || splits=1
echo "planner edits: $edits accepted, $refused refused (422), $failed failed; a split took $((edit_ms / splits)) ms on average, $edit_max ms at most"
echo "RSS after load: $mid MB; 3 s later: $(rss) MB"
kill "$sampler" 2>/dev/null || true
# What the memory holds (the server's own accounting): data grows with the incidents stored,
# the caches are bounded.
curl -s -H "Authorization: Bearer $token" "$base/api/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(f"server holds: {s['"'"'incidents_in_heat_index'"'"']:,} incidents in the heat index ({s['"'"'heat_index_mb'"'"']} MB), "
      f"tile cache {s['"'"'tile_cache'"'"']['"'"'mb'"'"']} MB of {s['"'"'tile_cache'"'"']['"'"'limit_mb'"'"']}, heat tiles {s['"'"'heat_tile_cache_mb'"'"']} MB; RSS {s['"'"'rss_mb'"'"']} MB")
' || true
echo "RSS every 5 s (s MB): $(tr '\n' ',' <"$work/rss.txt" | sed 's/,$//; s/,/, /g')"
# Growth over the second half of the run, when the caches have had time to fill.
awk -v half=$((secs / 2)) '$1 >= half && !a {a = $2} {b = $2} END {if (a) printf "RSS in the second half: %d -> %d MB (%+d MB)\n", a, b, b - a}' "$work/rss.txt"
if python3 -c 'import matplotlib' 2>/dev/null; then
  python3 - "$work/rss.txt" "$secs" <<'PY'
import sys, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
t, m = zip(*[map(int, l.split()) for l in open(sys.argv[1]) if l.strip()])
plt.figure(figsize=(7, 3.2))
plt.plot(t, m, marker=".")
plt.axvline(int(sys.argv[2]), color="grey", ls="--", lw=0.8)
plt.xlabel("seconds (dashed: load ends)"); plt.ylabel("server RSS, MB")
plt.title("wangge serve under mixed load: resident memory")
plt.ylim(bottom=0); plt.grid(alpha=0.3); plt.tight_layout()
plt.savefig("target/load-rss.png", dpi=110)
PY
  echo "plot: target/load-rss.png"
fi
grep -i "error\|panic" "$work/serve.log" | head -5 || true
