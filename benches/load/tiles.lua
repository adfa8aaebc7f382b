-- Random vector tiles of the demo city (z14-16 around its centre), with a token if given.
local token = os.getenv("TOKEN")
local lon, lat = tonumber(os.getenv("LON")), tonumber(os.getenv("LAT"))
local prefix = os.getenv("PREFIX") or "/tiles/all/"
local suffix = os.getenv("SUFFIX") or ".mvt"
local function tile(z)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return x, y
end
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
request = function()
  local z = math.random(14, 16)
  local x, y = tile(z)
  local d = 2 ^ (z - 14)
  x = x + math.random(-d, d)
  y = y + math.random(-d, d)
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", prefix .. z .. "/" .. x .. "/" .. y .. suffix, headers)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d errors_other=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
