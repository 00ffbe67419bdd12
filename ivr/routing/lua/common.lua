-- Shared by every routing script (prepended by ivr.routing.index).
-- ARGV[1] = key base (keys.routing('')), ARGV[2] = now (epoch s), ARGV[3] = day number.
-- One Redis (not a cluster): keys are built here from the base, so a script touches
-- only the agent and the pools named by that agent.
local base = ARGV[1]
local now = tonumber(ARGV[2])
local day = ARGV[3]
local TIE = 1e10

local function akey(id) return base .. 'agent:' .. id end

local function policy_number(field, default)
  return tonumber(redis.call('HGET', base .. 'policy', field)) or default
end

local function strategy_of(skill)
  local s = redis.call('HGET', base .. 'strategy', skill)
  if not s then s = redis.call('HGET', base .. 'strategy', '*') end
  return s or 'balanced'
end

-- Mirrors ivr.routing.scoring.agent_score: the lowest score takes the call.
local function score(strategy, level, calls, talk, since, seq, lw, ldw)
  if strategy == 'longest_idle' then return since end
  if strategy == 'round_robin' then return seq end
  if strategy == 'fewest_calls' then return calls + since / TIE end
  if strategy == 'least_talk_time' then return talk + since / TIE end
  if strategy == 'skill_first' then return -level * TIE + since end
  return ldw * calls - lw * level + since / TIE
end

local function roll_day(id)
  local k = akey(id)
  if redis.call('HGET', k, 'day') ~= day then
    redis.call('HSET', k, 'day', day, 'calls', 0, 'talk', 0)
  end
end

local function enter_pools(id)
  local f = redis.call('HMGET', akey(id), 'pools', 'calls', 'talk', 'since', 'seq')
  local lw = policy_number('level', 1)
  local ldw = policy_number('load', 1)
  local calls, talk = tonumber(f[2]) or 0, tonumber(f[3]) or 0
  local since, seq = tonumber(f[4]) or 0, tonumber(f[5]) or 0
  local cache = {}
  for pool in string.gmatch(f[1] or '', '%S+') do
    local skill, level = string.match(pool, '^([^:]+):[^:]+:(%d)')
    local s = cache[skill]
    if not s then
      s = strategy_of(skill)
      cache[skill] = s
    end
    local sc = score(s, tonumber(level), calls, talk, since, seq, lw, ldw)
    redis.call('ZADD', base .. 'pool:' .. pool, sc, id)
  end
end

local function leave_pools(id)
  local pools = redis.call('HGET', akey(id), 'pools')
  for pool in string.gmatch(pools or '', '%S+') do
    redis.call('ZREM', base .. 'pool:' .. pool, id)
  end
end

-- rosters: who is on duty (not offline) per skill and language: "can anyone ever serve?"
local function enter_rosters(id)
  local r = redis.call('HGET', akey(id), 'rosters')
  for roster in string.gmatch(r or '', '%S+') do
    redis.call('SADD', base .. 'roster:' .. roster, id)
  end
end

local function leave_rosters(id)
  local r = redis.call('HGET', akey(id), 'rosters')
  for roster in string.gmatch(r or '', '%S+') do
    redis.call('SREM', base .. 'roster:' .. roster, id)
  end
end

-- callback balance: every registered agent, scored by callbacks carried weighed by level
local function enter_cbs(id)
  local f = redis.call('HMGET', akey(id), 'cbs', 'cb_open')
  local lw = policy_number('level', 1)
  local ldw = policy_number('load', 1)
  local open = tonumber(f[2]) or 0
  for entry in string.gmatch(f[1] or '', '%S+') do
    local roster, level = string.match(entry, '^(.+):(%d)$')
    redis.call('ZADD', base .. 'cb:' .. roster, ldw * open - lw * tonumber(level), id)
  end
end

local function leave_cbs(id)
  local cbs = redis.call('HGET', akey(id), 'cbs')
  for entry in string.gmatch(cbs or '', '%S+') do
    local roster = string.match(entry, '^(.+):%d$')
    redis.call('ZREM', base .. 'cb:' .. roster, id)
  end
end

-- The one place an agent's state changes; keeps pools, rosters and wrap-ups in step.
local function change_state(id, new)
  local k = akey(id)
  local old = redis.call('HGET', k, 'state')
  if old == new then
    redis.call('HINCRBY', k, 'version', 1)
    return old
  end
  if old == 'available' then leave_pools(id) end
  if old == 'offline' then enter_rosters(id) end
  if new == 'offline' then leave_rosters(id) end
  if old == 'wrap_up' then redis.call('ZREM', base .. 'wrapup', id) end
  if old == 'busy' then redis.call('HDEL', k, 'call') end
  redis.call('HSET', k, 'state', new, 'since', ARGV[2])
  if new == 'available' then
    roll_day(id)
    enter_pools(id)
  elseif new == 'wrap_up' then
    redis.call('ZADD', base .. 'wrapup', now + policy_number('wrap', 0), id)
  end
  redis.call('HINCRBY', k, 'version', 1)
  return old
end
