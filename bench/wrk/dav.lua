-- One WebDAV workload for wrk (bench/dav.mjs): wrk -s bench/wrk/dav.lua <url> -- <op> <path> <auth|-> <tag>
--   get           GET <path>
--   propfind0/1   PROPFIND Depth 0 / 1 of <path> (allprop)
--   put           PUT 4 KiB over <path>fNN.bin, NN cycling through 64 existing files
--   mkcol-delete  MKCOL <path><name>/, then DELETE of it
--   put-delete    PUT 4 KiB to <path><name>.bin, then DELETE of it
-- The last two need one connection per thread (wrk -t N -c N): a thread's requests then go out one
-- after the other, and the DELETE is sent once its member's creation has been answered. Names of
-- created members carry <tag> (the slice), the thread and a counter, so they are never reused.
-- done() prints one line "WRKJSON {...}" with the counts and latencies in microseconds.
local PROPFIND = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
local body4k = string.rep("x", 4096)
local op, path, tag, fixed
local n = 0
local threads = 0
local created, pending, last
local reported = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  op, path, tag = args[1], args[2], args[4] or "0"
  if args[3] and args[3] ~= "-" then wrk.headers["Authorization"] = args[3] end
  if op == "get" then
    fixed = wrk.format("GET", path)
  elseif op == "propfind0" or op == "propfind1" then
    wrk.headers["Depth"] = op == "propfind0" and "0" or "1"
    wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
    fixed = wrk.format("PROPFIND", path, nil, PROPFIND)
  elseif op ~= "put" then
    -- Sequenced: the answer to a creation tells the next request what to delete (wrk itself calls
    -- request() once before the run to inspect it, so counting calls would drift). A refused
    -- request is reported here too; wrk only counts them.
    response = function(status, headers, body)
      if status >= 400 and reported < 5 then
        reported = reported + 1
        io.stderr:write(string.format("wrk: %s -> %d %s\n", last, status, body or ""))
      end
      if created and status < 300 then pending = created end
      created = nil
    end
  end
end

function request()
  if fixed then return fixed end
  if op == "put" then
    n = n + 1
    return wrk.format("PUT", path .. string.format("f%02d.bin", (id * 17 + n) % 64), nil, body4k)
  end
  if pending then
    last, pending, created = "DELETE " .. pending, nil, nil
    return wrk.format("DELETE", string.sub(last, 8))
  end
  n = n + 1
  local name = string.format("%s%s-t%d-%d", path, tag, id, n)
  if op == "mkcol-delete" then
    created = name .. "/"
    last = "MKCOL " .. created
    return wrk.format("MKCOL", created)
  elseif op == "put-delete" then
    created = name .. ".bin"
    last = "PUT " .. created
    return wrk.format("PUT", created, nil, body4k)
  end
  error("unknown op " .. tostring(op))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
