-- wrk script, phase one of the many-sessions workload: creates sessions and appends each new session
-- cookie to a file until it has COUNT of them (scripts/bench stops wrk then).
-- Usage: wrk -t1 ... -s create-sessions.lua URL -- COUNT FILE
local count, file, seen = 100000, nil, 0
init = function(args)
  count = tonumber(args[1] or "100000")
  file = io.open(args[2] or "sessions.txt", "w")
end
request = function()
  return wrk.format("GET", "/counter")
end
response = function(status, headers, body)
  local sc = headers["Set-Cookie"] or headers["set-cookie"]
  if sc and seen < count then
    file:write(string.match(sc, "^([^;]+)"), "\n")
    seen = seen + 1
    if seen == count then
      file:flush()
    end
  end
end
