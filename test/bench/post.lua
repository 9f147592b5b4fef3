-- wrk script for `make bench`: a small chat completion carrying the proxy key (BENCH_KEY), or a
-- ServiceAccount token as Authorization: Bearer (BENCH_BEARER), then one machine-readable summary line
-- (latencies in microseconds) that bench.mjs parses.
wrk.method = "POST"
wrk.body = '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"Say hi"}],"temperature":0.2}'
wrk.headers["Content-Type"] = "application/json"
local bearer = os.getenv("BENCH_BEARER")
if bearer and bearer ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. bearer
else
  wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"mean":%.1f,"max":%.1f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
