"""The Lua scripts behind :class:`~aiodo_projects.redis.RedisLimiter` (text only, no I/O).

Every script takes the same six keys (:func:`keys`) and starts with the same five arguments
(limit, window, lease ttl, key ttl, hourly); its own arguments follow. Times are integer
microseconds from Redis ``TIME``: no host's clock is ever read, so a skewed host cannot
stretch or shrink the window. Lua numbers are doubles, exact to 2**53 (far past any epoch
in microseconds), and a script's number reply is truncated to an integer, which is why
every time is whole microseconds.

The keys of one token:

``log``      sorted set: attempts that ended, scored by when their slot comes back (end + W)
``leases``   sorted set: attempts in flight, scored by when the lease runs out
``queue``    sorted set: waiting acquires, scored by their ticket number (FIFO order)
``waiters``  sorted set: the same waiters, scored by when their ticket runs out
``state``    hash: ``paused_until``, ``seen`` (an answer came), ``remaining``,
             ``reset_epoch``, ``reset_at`` (the hourly budget learned from the headers)
``counter``  string: the last ticket number handed out
"""

from __future__ import annotations

__all__ = ["ABSORB", "ACQUIRE", "CANCEL", "HEARTBEAT", "PAUSE", "RELEASE", "keys"]

_NAMES = ("log", "leases", "queue", "waiters", "state", "counter")


def keys(digest: str) -> list[str]:
    """Return the six keys of a token's digest, under one hash tag (one Redis Cluster slot)."""
    return [f"{{aiodo:{digest}}}:{name}" for name in _NAMES]


_PRELUDE = """
local log, leases, queue, waiters, state, counter =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease_ttl = tonumber(ARGV[3])
local key_ttl = tonumber(ARGV[4])
local hourly = ARGV[5] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local INF = -1  -- a wait that ends only when some attempt in flight ends

-- redis.call turns a Lua number into text with 14 significant digits, which would round
-- microseconds since the epoch; whole numbers are passed as exact decimal text instead.
local function exact(x) return string.format('%d', x) end

local function expire_all()
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], key_ttl) end
  redis.call('PEXPIRE', counter, key_ttl)
  -- the hourly figures stay meaningful for an hour
  redis.call('PEXPIRE', state, key_ttl + 3600000)
end

local function purge()
  -- A lease that ran out belongs to a worker that died or froze: its request may still
  -- reach the server until then, so its slot stays in the log for one more window.
  local dead = redis.call('ZRANGEBYSCORE', leases, '-inf', exact(now), 'WITHSCORES')
  for i = 1, #dead, 2 do
    redis.call('ZADD', log, exact(tonumber(dead[i + 1]) + window), dead[i])
  end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', leases, '-inf', exact(now)) end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', exact(now))
  local gone = redis.call('ZRANGEBYSCORE', waiters, '-inf', exact(now))
  for i = 1, #gone do redis.call('ZREM', queue, gone[i]) end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', waiters, '-inf', exact(now)) end
end

local function longer(a, b)
  if a == INF or b == INF then return INF end
  if a > b then return a end
  return b
end

local function hourly_delay(in_flight)
  if not hourly then return 0 end
  if redis.call('HGET', state, 'seen') ~= '1' then
    -- no answer yet: one attempt at a time learns the budget without spending it blindly
    if in_flight == 0 then return 0 end
    return INF
  end
  local remaining = tonumber(redis.call('HGET', state, 'remaining'))
  if remaining == nil then return 0 end
  local reset_at = tonumber(redis.call('HGET', state, 'reset_at'))
  if reset_at and now >= reset_at then
    -- the oldest counted request expired: one more is allowed
    remaining = remaining + 1
    redis.call('HSET', state, 'remaining', exact(remaining))
    redis.call('HDEL', state, 'reset_at')
    reset_at = nil
  end
  if remaining > in_flight then return 0 end
  if reset_at then return reset_at - now end
  if in_flight > 0 then return INF end
  return 0
end

local function delay()
  local in_flight = redis.call('ZCARD', leases)
  local returning = redis.call('ZCARD', log)
  local wait = (tonumber(redis.call('HGET', state, 'paused_until')) or 0) - now
  if in_flight + returning >= limit then
    if returning > 0 then
      local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
      wait = longer(wait, tonumber(oldest[2]) - now)
    else
      wait = INF
    end
  end
  wait = longer(wait, hourly_delay(in_flight))
  if wait ~= INF and wait <= 0 then return 0 end
  return wait
end

local function blocking_wait()
  local wait = (tonumber(redis.call('HGET', state, 'paused_until')) or 0) - now
  local reset_at = tonumber(redis.call('HGET', state, 'reset_at'))
  if hourly and redis.call('HGET', state, 'remaining') == '0' and reset_at then
    wait = longer(wait, reset_at - now)
  end
  if wait < 0 then return 0 end
  return wait
end

local function leave(waiter)
  redis.call('ZREM', queue, waiter)
  redis.call('ZREM', waiters, waiter)
end
"""

# ARGV[6] lease id, [7] waiter id, [8] max wait, [9] waiter ttl.
# Replies {'ok', 0}, {'wait', microseconds or -1} at the head, {'queued', -1} behind it,
# or {'toolong', microseconds} (the ticket is gone).
ACQUIRE = (
    _PRELUDE
    + """
local lease, waiter = ARGV[6], ARGV[7]
purge()
local imposed = blocking_wait()
if imposed > tonumber(ARGV[8]) then
  leave(waiter)
  return {'toolong', imposed}
end
local queued = redis.call('ZSCORE', queue, waiter)
local head = redis.call('ZRANGE', queue, 0, 0)[1]
local reply
if (head == nil and not queued) or head == waiter then
  local wait = delay()
  if wait == 0 then
    redis.call('ZADD', leases, exact(now + lease_ttl), lease)
    leave(waiter)
    expire_all()
    return {'ok', 0}
  end
  reply = {'wait', wait}
else
  reply = {'queued', INF}
end
if not queued then
  redis.call('ZADD', queue, redis.call('INCR', counter), waiter)
end
redis.call('ZADD', waiters, exact(now + tonumber(ARGV[9])), waiter)
expire_all()
return reply
"""
)

# ARGV[6] lease id, [7] '1' if answered, [8] ratelimit-remaining or '', [9] the reset
# epoch, [10] microseconds until that reset by the server's clock.
RELEASE = (
    _PRELUDE
    + """
local lease = ARGV[6]
purge()
redis.call('ZREM', leases, lease)
-- The slot comes back one window after the attempt ended; a lease that already ran out
-- (a frozen worker) is pushed back to that too, never earlier.
local back = now + window
local logged = tonumber(redis.call('ZSCORE', log, lease))
if logged == nil or logged < back then redis.call('ZADD', log, exact(back), lease) end
if ARGV[7] == '1' then
  redis.call('HSET', state, 'seen', '1')
  local known = tonumber(redis.call('HGET', state, 'remaining'))
  if ARGV[8] == '' then
    if known then redis.call('HSET', state, 'remaining', exact(math.max(0, known - 1))) end
  else
    local remaining, epoch = tonumber(ARGV[8]), tonumber(ARGV[9])
    local known_epoch = tonumber(redis.call('HGET', state, 'reset_epoch')) or -math.huge
    if epoch > known_epoch or (epoch == known_epoch and (known == nil or remaining < known)) then
      redis.call('HSET', state, 'remaining', exact(remaining), 'reset_epoch', ARGV[9],
        'reset_at', exact(now + tonumber(ARGV[10])))
    end
  end
end
expire_all()
return 1
"""
)

# ARGV[6] microseconds to hold every acquire (a pause never shortens another).
PAUSE = (
    _PRELUDE
    + """
local paused = now + tonumber(ARGV[6])
local known = tonumber(redis.call('HGET', state, 'paused_until')) or 0
if paused > known then redis.call('HSET', state, 'paused_until', exact(paused)) end
expire_all()
return 1
"""
)

# ARGV[6] waiter ttl, [7] how many lease ids follow, then those ids, then waiter ids.
# Only leases and tickets still present are renewed (ZADD XX): a lost one is not revived.
HEARTBEAT = (
    _PRELUDE
    + """
local count = tonumber(ARGV[7])
for i = 8, 7 + count do redis.call('ZADD', leases, 'XX', exact(now + lease_ttl), ARGV[i]) end
for i = 8 + count, #ARGV do
  redis.call('ZADD', waiters, 'XX', exact(now + tonumber(ARGV[6])), ARGV[i])
end
expire_all()
return 1
"""
)

# ARGV[6] lease id, [7] waiter id: an acquire that gave up. Its lease, granted with the
# reply lost, sent nothing, so it leaves no slot in the log.
CANCEL = (
    _PRELUDE
    + """
redis.call('ZREM', leases, ARGV[6])
leave(ARGV[7])
return 1
"""
)

# ARGV[6] a member prefix, then microseconds until each slot comes back: what this process
# sent on its local share while Redis was away, so the shared log counts it again.
ABSORB = (
    _PRELUDE
    + """
for i = 7, #ARGV do
  redis.call('ZADD', log, exact(now + tonumber(ARGV[i])), ARGV[6] .. ':' .. (i - 6))
end
expire_all()
return #ARGV - 6
"""
)
