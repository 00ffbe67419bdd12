-- The agent with the lowest callback load weighed by level takes a callback.
-- ARGV[4]: roster ("skill:lang").
local cbk = base .. 'cb:' .. ARGV[4]
local top = redis.call('ZRANGE', cbk, 0, 0, 'WITHSCORES')
if #top == 0 then return {} end
-- every roster of the agent sees the new load, not only this one
redis.call('HINCRBY', akey(top[1]), 'cb_open', 1)
enter_cbs(top[1])
return {top[1], top[2]}
