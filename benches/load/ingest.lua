-- POSTs batches of 100 new incidents at the demo city's centre (unique ids per request).
local token = os.getenv("TOKEN")
local lon, lat = tonumber(os.getenv("LON")), tonumber(os.getenv("LAT"))
local n = 0
local thread_id = tostring(math.random(1, 1e9))
request = function()
  n = n + 1
  local items = {}
  for i = 1, 100 do
    items[i] = string.format('{"id":"load-%s-%d-%d","time":"2026-11-20 10:00","category":"noise","source":"hotline","lon":%.6f,"lat":%.6f}',
      thread_id, n, i, lon + (i % 10) * 1e-4, lat + (i % 7) * 1e-4)
  end
  local headers = { ["Content-Type"] = "application/json" }
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", "/api/incidents", headers, "[" .. table.concat(items, ",") .. "]")
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d errors_other=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
