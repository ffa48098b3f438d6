-- wrk script for the load benchmark (bench/load/run.py writes the request files).
-- Arguments after `--`: <request file> <mode> <nonce> <offset> <threads>
--   request file: one request a line, "<X-API-Key>\t<JSON body>" (mode "get": unused)
--   mode: "post" (scan), "redeem" (post with a fresh Idempotency-Key each request) or "get"
--   nonce: makes this run's Idempotency-Keys differ from every other run's
--   offset: the first line this run sends (redeem runs continue where the previous one stopped)
--   threads: wrk's -t, so that the threads share the lines without overlap
-- Each thread sends lines tid, tid + threads, … from the offset; at the end one line "WRKJSON {...}" is printed
-- with the latency percentiles (µs), the counts per status class and the number of requests each thread issued.

local threads = {}
local lines = {}
local mode, nonce, offset, stride = "get", "n", 0, 1
sent = 0
ok, conflict, client_error, server_error, other = 0, 0, 0, 0, 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode = args[2] or "get"
  nonce = args[3] or "n"
  offset = tonumber(args[4] or "0")
  stride = tonumber(args[5] or "1")
  if mode ~= "get" then
    for line in io.lines(args[1]) do
      local tab = line:find("\t", 1, true)
      lines[#lines + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
    end
  end
end

function request()
  if mode == "get" then
    return wrk.format("GET")
  end
  local index = (offset + sent * stride + (tid or 0)) % #lines + 1
  sent = sent + 1
  local item = lines[index]
  local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = item[1] }
  if mode == "redeem" then
    headers["Idempotency-Key"] = nonce .. "-" .. (tid or 0) .. "-" .. sent
  end
  return wrk.format("POST", nil, headers, item[2])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 409 then
    conflict = conflict + 1
  elseif status >= 400 and status < 500 then
    client_error = client_error + 1
  elseif status >= 500 then
    server_error = server_error + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local counts = { ok = 0, conflict = 0, client_error = 0, server_error = 0, other = 0, sent = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(counts) do
      counts[name] = counts[name] + (thread:get(name) or 0)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "ok": %d, "conflict": %d, "client_error": %d, "server_error": %d, "other": %d, ' ..
    '"sent": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, counts.ok, counts.conflict, counts.client_error, counts.server_error, counts.other,
    counts.sent, errors.connect, errors.read, errors.write, errors.timeout))
end
