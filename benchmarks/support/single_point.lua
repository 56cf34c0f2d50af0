-- wrk script for benchmarks/auth_cost.py: one point per POST /v1/metrics, each with a timestamp
-- of its own (a series keeps one value per timestamp: a repeated one would time the path for
-- retried writes instead). Timestamps count microseconds up from BENCH_BASE_EPOCH, starting at
-- BENCH_COUNTER_START, so separate runs never write the same one.
local base = tonumber(os.getenv("BENCH_BASE_EPOCH"))
local counter = tonumber(os.getenv("BENCH_COUNTER_START"))

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  counter = counter + 1
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(counter / 1000000))
    .. string.format(".%06dZ", counter % 1000000)
  local body = '{"points":[{"name":"bench.single","timestamp":"' .. stamp
    .. '","value":1.0,"tags":{"host":"h1"}}]}'
  return wrk.format(nil, nil, nil, body)
end
