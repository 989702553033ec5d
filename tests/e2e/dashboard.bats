#!/usr/bin/env bats
# The dashboard at / of --metrics-listen, rendered by headless Chromium:
# its headers, each resource's numbers as /api/v1/resources gives them, a
# second load after more starts, an empty daemon, the optional fields, and a
# failed fetch. Chromium is required (scripts/bootstrap installs it).

load helpers

setup() {
	common_setup
	metrics_setup
	SERVER_PID=
}

teardown() {
	common_teardown # the clients first: one that lost its daemon would start another
	kill_daemon
	[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null
	return 0
}

# chromium_run ARGS... URL: headless Chromium, alone in a fresh profile, with
# nothing of its own on the network; its log (the page's console too) goes
# to $T/chromium.log. The page's timers run on virtual time, so five seconds
# of polling take about one second.
chromium_run() {
	command -v chromium >/dev/null || {
		echo "chromium is not installed: run scripts/bootstrap" >&2
		return 1
	}
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" --virtual-time-budget=5000 \
		--enable-logging=stderr --v=0 "$@" 2>>"$T/chromium.log"
}

# render URL: the page's DOM after five (virtual) seconds, in $T/dom.
render() { chromium_run --dump-dom "$1" >"$T/dom"; }

# card NAME: the opening tag of NAME's card in $T/dom.
card() { grep -o "<section class=\"res[^\"]*\"[^>]*data-name=\"$1\"[^>]*>" "$T/dom"; }

# attr TAG KEY: the value of attribute KEY in TAG.
attr() { sed -n "s/.* $2=\"\\([^\"]*\\)\".*/\\1/p" <<<"$1"; }

# history NAME: the in-window counts NAME's chart holds, oldest first.
history() {
	python3 -c '
import re, sys
dom = open(sys.argv[1]).read()
card = dom.index("data-name=\"%s\"" % sys.argv[2])
end = dom.index("</section>", card)
print(re.search(r"data-history=\"([^\"]*)\"", dom[card:end]).group(1))' "$T/dom" "$1"
}

# api NAME KEY: KEY of resource NAME in /api/v1/resources.
api() {
	curl -s "$URL/api/v1/resources" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print([r for r in doc["resources"] if r["resource"] == sys.argv[1]][0][sys.argv[2]])' "$1" "$2"
}

start() { "$PT_BIN/patience" fixed -a 1 -r 5/1m --daemon --resource-id "$1" -q -- true; }

@test "/ serves one self-contained page under a strict Content-Security-Policy" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	curl -s -D "$T/headers" -o "$T/page" "$URL/"
	grep -qi '^content-type: text/html; charset=utf-8' "$T/headers"
	grep -qi "^content-security-policy: default-src 'none'; script-src 'unsafe-inline';" "$T/headers"
	grep -qi "connect-src 'self'" "$T/headers"
	grep -qi '^x-content-type-options: nosniff' "$T/headers"
	cmp "$T/page" "$PT_SRC/src/daemon/dashboard.html"
	# nothing loaded from elsewhere: no script or style files, no remote URLs
	run ! grep -Eiq '<script[^>]+src=|<link[^>]+stylesheet|@import|url\(' "$T/page"
	run ! grep -Eiq '(src|href)="(https?:)?//' "$T/page"
	curl -s "$URL/index.html" | cmp - "$T/page"
	[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/") == 405 ]]
}

@test "the dashboard shows each resource's limit and in-window count, and they move" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	for _ in 1 2 3; do start test:dashboard; done
	start test:other
	# any local user names resources: a name is text, never markup
	local markup='<img src=x onerror=alert(1)>'
	run ask '{"v":1,"op":"acquire","resource":"'"$markup"'","limit":3,"window_ms":60000}'
	[[ $output == *'"ok":true'* ]]
	render "$URL/"
	grep -q '>&lt;img src=x onerror=alert(1)&gt;</h2>' "$T/dom"
	run ! grep -q '<img' "$T/dom"
	grep -q '<body[^>]*data-state="live"' "$T/dom"
	# it polled again and again in its five seconds
	updates=$(attr "$(grep -o '<body[^>]*>' "$T/dom")" data-updates)
	((updates >= 3))
	c=$(card test:dashboard)
	[[ $(attr "$c" data-uid) == "$(id -u)" ]]
	[[ $(attr "$c" data-limit) == 5 && $(attr "$c" data-window-ms) == 60000 ]]
	[[ $(attr "$c" data-in-window) == "$(api test:dashboard in_window)" ]]
	[[ $(attr "$c" data-in-window) == 3 ]]
	# one sample a poll, each the count of its moment
	[[ $(history test:dashboard) =~ ^3( 3){2,}$ ]]
	[[ $(attr "$(card test:other)" data-in-window) == 1 ]]
	grep -q 'of 5 per 1m in the window' "$T/dom"
	grep -q '>version <b id="version">[0-9]' "$T/dom"
	grep -q '<b id="backend">memory</b>' "$T/dom"
	# the policy refused nothing and the script threw nothing
	run ! grep -Ei 'Content Security Policy|Uncaught' "$T/chromium.log"

	# two more starts fill the window; a sixth waits in the daemon's queue
	start test:dashboard
	start test:dashboard
	"$PT_BIN/patience" fixed -a 1 -r 5/1m --daemon --resource-id test:dashboard -q -- true &
	BG_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ $(api test:dashboard waiting) == 1 ]] && break
		sleep 0.05
	done
	render "$URL/"
	c=$(card test:dashboard)
	[[ $(attr "$c" data-in-window) == 5 && $(attr "$c" data-waiting) == 1 ]]
	[[ $(history test:dashboard) =~ ^5( 5){2,}$ ]]
	grep -Eq 'data-field="next_free">in [0-9]' "$T/dom"

	chromium_run --window-size=1280,900 --screenshot="$T/dashboard.png" "$URL/"
	[[ $(head -c 8 "$T/dashboard.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]
	(($(stat -c %s "$T/dashboard.png") > 20000))
	# PT_DASHBOARD_PNG=FILE keeps the screenshot, to look at the page
	[[ -z ${PT_DASHBOARD_PNG:-} ]] || cp "$T/dashboard.png" "$PT_DASHBOARD_PNG"
}

# executed RESOURCE DURATION_MS OUTCOME [TOOL]: the line that reports a run
# that started five seconds ago.
executed() {
	printf '{"v":1,"op":"executed","resource":"%s","started_ms":%s,"duration_ms":%s,"exit_code":0,"outcome":"%s"%s}\n' \
		"$1" "$(($(now_ms) - 5000))" "$2" "$3" "${4:+,\"tool\":\"$4\"}"
}

@test "the dashboard shows each resource's runs per tool" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	# a limit, and no run of patience's own (patience --daemon reports its runs)
	ask '{"v":1,"op":"acquire","resource":"test:dashboard","limit":5,"window_ms":60000}' >/dev/null
	{
		echo '{"v":1,"op":"hello","client":"rpr 0.1.0"}'
		executed test:dashboard 1200 success
		executed test:dashboard 1800 failure
		executed test:runs-only 5 success
		executed test:dashboard 40 success patience
	} | socat -t 2 - "UNIX-CONNECT:$SOCK" >"$T/replies"
	[[ $(grep -c '"ok":true' "$T/replies") == 5 ]]
	render "$URL/"
	c=$(card test:dashboard)
	[[ $(attr "$c" data-executions) == 3 && $(attr "$c" data-execution-tools) == "rpr:2 patience:1" ]]
	grep -q 'data-field="executions">3 runs, 1 failed, mean 1s<' "$T/dom"
	grep -q '<dt class="sub">rpr</dt><dd data-field="tool-rpr">2 runs, 1 failed, mean 2s<' "$T/dom"
	grep -q 'data-field="tool-patience">1 run, 0 failed, mean 40 ms<' "$T/dom"
	# a resource known only by its runs: no usage, its runs
	c=$(card test:runs-only)
	[[ $c == *'class="res unlimited"'* && $(attr "$c" data-executions) == 1 ]]
	run ! grep -Ei 'Content Security Policy|Uncaught' "$T/chromium.log"
}

@test "a daemon without resources says so" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	render "$URL/"
	grep -q '<body[^>]*data-state="empty"' "$T/dom"
	grep -q 'no resources yet' "$T/dom"
	run ! grep -q '<section class="res"' "$T/dom"
}

@test "leases, waiting, breakers and GCRA are shown when the JSON has them" {
	mkdir -p "$T/www/api/v1"
	cp "$PT_SRC/src/daemon/dashboard.html" "$T/www/index.html"
	cat >"$T/www/api/v1/resources" <<-'EOF'
		{"now_ms":1700000000000,"version":"9.9.9","backend":"redis","started_ms":1699999000000,
		 "resources":[
		  {"resource":"api:external:api.github.com","uid":1000,"limit":5000,"window_ms":3600000,
		   "guard_ms":36010,"source":"learned","reserved":2,"in_window":4100,
		   "next_free_ms":1700000001500,"learned_from":"x-ratelimit","learned_expires_ms":1700000600000,
		   "leases":{"limit":4,"held":2,"waiting":1},
		   "breaker":{"state":"open","failures":5,"open_until_ms":1700000030000,"probes_in_flight":0},
		   "waiting":3,"algorithm":"gcra","burst":10,"tat_ms":1700000002000},
		  {"resource":"cmd:local:deploy","uid":1000,
		   "breaker":{"state":"half_open","failures":3,"open_until_ms":0,"probes_in_flight":1}},
		  {"resource":"cmd:local:rsync","uid":1000,"limit":2,"window_ms":1000,"guard_ms":20,
		   "source":"config","reserved":0,"in_window":0,"next_free_ms":1700000000000}]}
	EOF
	python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$PORT" 2>"$T/www.log" &
	SERVER_PID=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf "$URL/index.html" >/dev/null && break
		sleep 0.05
	done
	render "$URL/index.html"
	c=$(card api:external:api.github.com)
	[[ $(attr "$c" data-breaker) == open && $(attr "$c" data-leases-held) == 2 ]]
	[[ $(attr "$c" data-waiting) == 3 && $(attr "$c" data-in-window) == 4100 ]]
	grep -q 'data-field="leases">2 of 4 held, 1 waiting<' "$T/dom"
	grep -q 'class="state open" data-field="breaker">open, 5 failures, probes in 30s<' "$T/dom"
	grep -q '>GCRA, burst 10<' "$T/dom"
	grep -q 'data-field="learned">from x-ratelimit' "$T/dom"
	grep -q '<b id="backend">redis</b>' "$T/dom"
	grep -q 'data-field="tat">in 2.0 s<' "$T/dom"
	# a breaker without a rate limit: no usage, only its breaker
	c=$(card cmd:local:deploy)
	[[ $c == *'class="res unlimited"'* && $(attr "$c" data-limit) == "" ]]
	[[ $(attr "$c" data-breaker) == half_open ]]
	grep -q 'class="state half_open" data-field="breaker">half-open, 3 failures, 1 probing<' "$T/dom"
	# absent fields are not shown
	c=$(card cmd:local:rsync)
	[[ $(attr "$c" data-breaker) == "" && $(attr "$c" data-leases-held) == "" ]]
	[[ $(grep -o 'data-field="breaker"' "$T/dom" | wc -l) == 2 ]]
}

@test "a failed fetch shows 'daemon unreachable' and keeps trying" {
	# From a file the page's fetch of api/v1/resources fails, as it does
	# when the daemon is gone.
	render "file://$PT_SRC/src/daemon/dashboard.html"
	grep -q '<body[^>]*data-state="unreachable"' "$T/dom"
	grep -q 'daemon unreachable' "$T/dom"
	grep -q '<body[^>]*data-updates="0"' "$T/dom"
	failures=$(attr "$(grep -o '<body[^>]*>' "$T/dom")" data-failures)
	((failures >= 3))
}
