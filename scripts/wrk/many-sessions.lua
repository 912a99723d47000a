-- wrk script, phase two of the many-sessions workload: every request carries the next of the cookies
-- that create-sessions.lua saved, so lookups spread over all of them instead of one hot entry.
-- Usage: wrk ... -s many-sessions.lua URL -- PATH FILE
local path, cookies, next_index = "/read", {}, 1
init = function(args)
  path = args[1] or "/read"
  for line in io.lines(args[2] or "sessions.txt") do
    cookies[#cookies + 1] = line
  end
  -- Each wrk thread starts at its own offset.
  next_index = math.random(#cookies)
end
request = function()
  local cookie = cookies[next_index]
  next_index = next_index % #cookies + 1
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end
