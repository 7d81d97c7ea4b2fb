-- wrk script for the endpoint benchmark (benchmarks/endpoint_bench.py writes the arguments).
--
--   wrk -s wrk_request.lua URL -- METHOD BODY_FILE ACCEPT BUST
--
-- METHOD  POST: the body file is sent as the body (Content-Type: application/sparql-query);
--         GET: the URL is requested as it is and BODY_FILE is ignored ("-").
-- ACCEPT  the Accept header.
-- BUST    "1": every request gets a query no server has seen before, by appending a SPARQL comment
--         that is unique per thread and request ("\n# bust T-N"); "0": the same request every time.
-- done() prints one JSON line (prefixed "WRK_JSON ") with the counts and latency percentiles.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local method, body, accept, bust, fixed, host
local counter = 0

function init(args)
  method = args[1]
  accept = args[3]
  bust = args[4] == "1"
  body = nil
  if method == "POST" then
    local f = assert(io.open(args[2], "rb"))
    body = f:read("*a")
    f:close()
  end
  host = wrk.headers["Host"]  -- wrk.init has set it from the URL before calling init
  local headers = { ["Host"] = host, ["Accept"] = accept }
  if body then headers["Content-Type"] = "application/sparql-query" end
  fixed = wrk.format(method, nil, headers, body)
end

function request()
  if not bust then
    return fixed
  end
  counter = counter + 1
  local headers = { ["Host"] = host, ["Accept"] = accept, ["Content-Type"] = "application/sparql-query" }
  return wrk.format(method, nil, headers, body .. "\n# bust " .. tid .. "-" .. counter .. "\n")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "p50": %d, "p90": %d, ' ..
    '"p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
