-- Book a callback, or join the one the caller's number already has pending: in one
-- script, so two calls of one number on two server processes end with one callback and
-- one agent's load raised once.
-- ARGV[4] roster ("skill:lang"), ARGV[5] callback id (from the CallSid), ARGV[6] the
-- caller's number ('' when withheld: never joined), ARGV[7] the callback's JSON without
-- agent_id and without its closing brace, ARGV[8] due time, ARGV[9] seconds to keep the
-- callback, ARGV[10] seconds the number's record lives, ARGV[11] grace past the due time.
-- Returns {'own'|'joined'|'new', the callback's JSON}.
local id = ARGV[5]
local ckey = base .. 'callback:' .. id
local mine = redis.call('GET', ckey)
if mine then return {'own', mine} end  -- a retry of this call's own request
local nkey = false
if ARGV[6] ~= '' then
  nkey = base .. 'callback_of:' .. ARGV[6]
  local held = redis.call('GET', nkey)
  if held then
    local doc = redis.call('GET', base .. 'callback:' .. held)
    -- the record's expiry runs on the server's clock; routing's clock decides too
    if doc and tonumber(cjson.decode(doc).due_at) + tonumber(ARGV[11]) > now then
      return {'joined', doc}
    end
  end
end
local agent = 'null'
local top = redis.call('ZRANGE', base .. 'cb:' .. ARGV[4], 0, 0)
if #top > 0 then
  -- every roster of the agent sees the new load, not only this one
  redis.call('HINCRBY', akey(top[1]), 'cb_open', 1)
  enter_cbs(top[1])
  agent = cjson.encode(top[1])
end
local doc = ARGV[7] .. ',"agent_id":' .. agent .. '}'
redis.call('SET', ckey, doc, 'EX', ARGV[9])
redis.call('ZADD', base .. 'callbacks', ARGV[8], id)
if nkey then redis.call('SET', nkey, id, 'EX', ARGV[10]) end
return {'new', doc}
