-- patience-daemon's scheduler on Redis: the Diophantine rule of
-- src/lib/diophantine.c over the starts every daemon reserved, atomically.
--
-- KEYS[1]: one resource's sorted set, "{patience:UID:NAME}": member
-- "DAEMON:RESERVATION:AT" (AT: the start in that daemon's clock, which only
-- keeps members unique), score the start in ms of Redis's clock. Every time
-- here is Redis's own TIME, so hosts' clocks never meet; the daemon passes
-- times as deltas from "now" and converts replies back the same way.
-- ARGV[1] names the operation:
--
--   acquire LIMIT SPAN NOT_BEFORE_DELTA MAX_WAIT PREFIX SENT MAX_AGE OFFSET...
--     SPAN = window + guard. Finds the least base >= now + NOT_BEFORE_DELTA
--     at which base + OFFSET_i, with every start in the set, leaves no
--     window of SPAN ms holding more than LIMIT starts (the daemon has
--     checked that the offsets alone fit). Returns {1, base - now, latest
--     start - now, now}, or {0, base - now, 0, now} when base - now >
--     MAX_WAIT (>= 0), or {2, 0, 0, now} when the request is stale: sent
--     (SENT, the daemon's guess of Redis's clock then) more than MAX_AGE
--     ago, so the daemon has given up on it (a hung Redis that resumes runs
--     what waited in its sockets).
--   release FROM_DELTA PREFIX
--     Removes PREFIX's starts at or after now + FROM_DELTA; returns how many.
--   move PREFIX USED FROM_DELTA TO_DELTA SPAN
--     PREFIX's start nearest now + FROM_DELTA has been made, at
--     now + TO_DELTA: its score moves there (never earlier) and its member
--     is renamed from PREFIX... to USED..., out of reach of PREFIX's
--     releases (the start is used, wherever the clocks put it). Returns 1
--     when found, else 0.
--   sync SPAN MEMBER DELTA [MEMBER DELTA ...]
--     Adds starts a daemon granted while it could not reach Redis; returns
--     {count, latest start - now}.
--   heartbeat DAEMON AWAY_MS SENT MAX_AGE   (KEYS[1] = "{patience}:daemons")
--     Records that DAEMON is alive (unless the request is stale, as above:
--     a daemon that gave up on Redis must not look alive), forgets daemons
--     silent for AWAY_MS, and returns {now, DAEMON1, SEEN1, ...} (SEEN: ms
--     ago).
local key = KEYS[1]
local op = ARGV[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Keeps the set as long as its last start counts in some window.
local function keep_until_unused(span)
	local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
	if #last == 0 then
		return 0
	end
	local latest = tonumber(last[2])
	redis.call('PEXPIREAT', key, latest + span + 1000)
	return latest - now
end

-- The merged starts at base: reserved (new[i] false) and new, in time order,
-- a reserved start first on a tie, as in src/lib/diophantine.c.
local function merge(starts, offsets, base)
	local at, new, off = {}, {}, {}
	local r, n = 1, 1
	while r <= #starts or n <= #offsets do
		local i = #at + 1
		if r <= #starts and (n > #offsets or starts[r] <= base + offsets[n]) then
			at[i], new[i] = starts[r], false
			r = r + 1
		else
			at[i], new[i], off[i] = base + offsets[n], true, offsets[n]
			n = n + 1
		end
	end
	return at, new, off
end

-- base when base keeps the rule, else the least base worth trying next.
-- A run of LIMIT+1 merged starts closer than SPAN that holds a new start
-- holds a reserved one too (the offsets alone fit); no base below
-- first reserved + SPAN - offset of the last new start can break it up.
local function check(starts, offsets, base, limit, span)
	local at, new, off = merge(starts, offsets, base)
	local n = #at
	if n <= limit then
		return base
	end
	-- first_res[i]: the first reserved start at or after i; last_new[i]: the
	-- offset of the last new start at or before i
	local first_res, last_new = {}, {}
	local seen = nil
	for i = n, 1, -1 do
		if not new[i] then
			seen = at[i]
		end
		first_res[i] = seen
	end
	seen = nil
	for i = 1, n do
		if new[i] then
			seen = off[i]
		end
		last_new[i] = seen
	end
	local next_base = base
	for j = 1, n - limit do
		local e = j + limit
		local lnew = last_new[e]
		if at[e] - at[j] < span and lnew ~= nil and base + lnew >= at[j] then
			local jump = first_res[j] + span - lnew
			if jump > next_base then
				next_base = jump
			end
		end
	end
	return next_base
end

local function stale(sent, max_age)
	return now - tonumber(sent) > tonumber(max_age)
end

local function acquire()
	local limit, span = tonumber(ARGV[2]), tonumber(ARGV[3])
	local base, max_wait, prefix = now + tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
	if stale(ARGV[7], ARGV[8]) then
		return {2, 0, 0, now}
	end
	local offsets = {}
	for i = 9, #ARGV do
		offsets[#offsets + 1] = tonumber(ARGV[i])
	end
	redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
	-- with room for every new start in any window, base stands (no read)
	if redis.call('ZCARD', key) + #offsets > limit then
		local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
		local starts = {}
		for i = 2, #flat, 2 do
			starts[#starts + 1] = tonumber(flat[i])
		end
		while true do
			local next_base = check(starts, offsets, base, limit, span)
			if next_base == base then
				break
			end
			base = next_base
		end
	end
	if max_wait >= 0 and base - now > max_wait then
		return {0, base - now, 0, now}
	end
	local args = {}
	for i = 1, #offsets do
		args[#args + 1] = base + offsets[i]
		args[#args + 1] = prefix .. (base + offsets[i])
	end
	redis.call('ZADD', key, unpack(args))
	return {1, base - now, keep_until_unused(span), now}
end

local function release()
	local from, prefix = now + tonumber(ARGV[2]), ARGV[3]
	local gone = {}
	for _, member in ipairs(redis.call('ZRANGEBYSCORE', key, from, '+inf')) do
		if string.sub(member, 1, #prefix) == prefix then
			gone[#gone + 1] = member
		end
	end
	if #gone > 0 then
		redis.call('ZREM', key, unpack(gone))
	end
	return #gone
end

local function move()
	local prefix, used = ARGV[2], ARGV[3]
	local from, to, span = now + tonumber(ARGV[4]), now + tonumber(ARGV[5]), tonumber(ARGV[6])
	local best, best_score = nil, nil
	local flat = redis.call('ZRANGEBYSCORE', key, from - span, from + span, 'WITHSCORES')
	for i = 1, #flat, 2 do
		local score = tonumber(flat[i + 1])
		if string.sub(flat[i], 1, #prefix) == prefix and
		    (best == nil or math.abs(score - from) < math.abs(best_score - from)) then
			best, best_score = flat[i], score
		end
	end
	if best == nil then
		return 0
	end
	redis.call('ZREM', key, best)
	redis.call('ZADD', key, math.max(to, best_score), used .. string.sub(best, #prefix + 1))
	keep_until_unused(span)
	return 1
end

local function sync()
	local span = tonumber(ARGV[2])
	local args = {}
	for i = 3, #ARGV - 1, 2 do
		args[#args + 1] = now + tonumber(ARGV[i + 1])
		args[#args + 1] = ARGV[i]
	end
	if #args > 0 then
		redis.call('ZADD', key, unpack(args))
	end
	return {#args / 2, keep_until_unused(span)}
end

local function heartbeat()
	local daemon, away = ARGV[2], tonumber(ARGV[3])
	if not stale(ARGV[4], ARGV[5]) then
		redis.call('ZADD', key, now, daemon)
	end
	redis.call('ZREMRANGEBYSCORE', key, '-inf', now - away)
	redis.call('PEXPIRE', key, away)
	local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
	local out = {now}
	for i = 1, #flat, 2 do
		out[#out + 1] = flat[i]
		out[#out + 1] = now - tonumber(flat[i + 1])
	end
	return out
end

if op == 'acquire' then
	return acquire()
elseif op == 'release' then
	return release()
elseif op == 'move' then
	return move()
elseif op == 'sync' then
	return sync()
elseif op == 'heartbeat' then
	return heartbeat()
end
return redis.error_reply('patience: unknown operation ' .. tostring(op))
