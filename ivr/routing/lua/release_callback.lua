-- A callback was completed: it leaves the due list, and the caller's number is free for a
-- new one when its record still names this callback (a later booking is left alone).
-- KEYS[1] the due list, KEYS[2] the number's record (absent for a withheld number);
-- ARGV[1] the callback id. Returns 1 when the number's record was cleared.
redis.call('ZREM', KEYS[1], ARGV[1])
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
