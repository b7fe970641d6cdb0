-- wrk script: 16 pipelined GETs of the target path per write (HTTP/1.1 pipelining).
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, wrk.path) end
  req = table.concat(r)
end
request = function() return req end
