-- wrk script: a login storm. Every request comes without a cookie, so each one creates a new session.
-- Usage: wrk ... -s new-session.lua URL -- /counter
local path = "/counter"
init = function(args)
  if args[1] then path = args[1] end
end
request = function()
  return wrk.format("GET", path)
end
