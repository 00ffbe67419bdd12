-- A callback was completed. It leaves the due list; the agent who carried it carries one
-- fewer (once, however often the completion is reported), so the balance of callbacks
-- between agents counts the open ones; and the caller's number is free for a new one
-- when its record still names this callback (a later booking is left alone).
-- ARGV[4] the callback id, ARGV[5] the caller's number ('' when withheld).
-- Returns {number record cleared (0/1), agent's load lowered (0/1)}.
local id = ARGV[4]
local ckey = base .. 'callback:' .. id
redis.call('ZREM', base .. 'callbacks', id)
local lowered = 0
local doc = redis.call('GET', ckey)
if doc then
  local ttl = redis.call('TTL', ckey)
  if ttl < 1 then ttl = 86400 end
  if redis.call('SET', base .. 'callback_done:' .. id, '1', 'NX', 'EX', ttl) then
    local agent = cjson.decode(doc).agent_id
    if type(agent) == 'string' and redis.call('EXISTS', akey(agent)) == 1 then
      if (tonumber(redis.call('HGET', akey(agent), 'cb_open')) or 0) > 0 then
        redis.call('HINCRBY', akey(agent), 'cb_open', -1)
        enter_cbs(agent)
        lowered = 1
      end
    end
  end
end
local cleared = 0
if ARGV[5] ~= '' then
  local nkey = base .. 'callback_of:' .. ARGV[5]
  if redis.call('GET', nkey) == id then
    redis.call('DEL', nkey)
    cleared = 1
  end
end
return {cleared, lowered}
