-- A sliding-window rate limiter in Redis, the equivalent of one
-- patience-daemon acquire and release (docs/PROTOCOL.md), for
-- bench/daemon_throughput. One sorted set per resource holds the granted
-- starts: member = reservation id, score = start time in ms.
--
--   EVALSHA sha 2 KEY SEQ acquire LIMIT WINDOW_MS
--     -> {1, id, now_ms}            granted at now_ms
--     -> {0, free_ms, now_ms}       full: a slot frees at free_ms
--   EVALSHA sha 2 KEY SEQ release ID
--     -> 1 if the start was still ahead (at or after now) and is freed,
--        0 otherwise: a start already made counts in its window, as in
--        the daemon (release frees the starts at or after now)
--
-- KEY is the resource's sorted set, SEQ the counter that makes reservation
-- ids unique (the daemon's next_id). Times come from the server's clock
-- (TIME), in ms like the daemon's; scripts are replicated by effects, so
-- reading the clock before writing is allowed.
local key, seq = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

if ARGV[1] == 'acquire' then
	local limit, window = tonumber(ARGV[2]), tonumber(ARGV[3])
	-- starts older than one window no longer count
	redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
	local n = redis.call('ZCARD', key)
	if n < limit then
		local id = redis.call('INCR', seq)
		redis.call('ZADD', key, now, id)
		redis.call('PEXPIRE', key, window)
		return {1, id, now}
	end
	-- full: the (n - limit + 1)th oldest start has to leave the window
	local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
	return {0, tonumber(oldest[2]) + window, now}
elseif ARGV[1] == 'release' then
	local at = redis.call('ZSCORE', key, ARGV[2])
	if at and tonumber(at) >= now then
		return redis.call('ZREM', key, ARGV[2])
	end
	return 0
end
return redis.error_reply('expected acquire or release')
