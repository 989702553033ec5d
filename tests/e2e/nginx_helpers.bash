# nginx for the end-to-end tests: a real HTTP server on 127.0.0.1, run as
# this user from a temporary prefix, never as the system service.
#
#   start_nginx DIR CONF_FN   nginx with its prefix in DIR, on a free port
#                             (sets PORT and BASE=http://127.0.0.1:PORT)
#   stop_nginx DIR            stops it
#
# CONF_FN is the test file's own function: called as CONF_FN DIR PORT, it
# prints what goes inside `http { }` after the common part (temp paths,
# the default access log DIR/access.log, text/plain, and the log format
# "stamped": "$msec $status", for observers that count requests per
# location), that is its zones and its `server` block listening on
# 127.0.0.1:PORT. Files to serve go in DIR/www (created here; the test
# file puts its files there before or after starting).
#
# start_nginx probes /nginx-probe until nginx answers (any status), so a
# location of CONF_FN that logs its requests apart never sees the probe.

NGINX=${NGINX:-/usr/sbin/nginx}

# nginx_conf DIR PORT CONF_FN: write DIR/nginx.conf.
nginx_conf() {
	local dir=$1 port=$2 conf_fn=$3
	# As root the workers would drop to nobody, who cannot read our
	# temporary files; as anyone else nginx ignores `user` with a warning.
	cat >"$dir/nginx.conf" <<EOF
user $(id -un) $(id -gn);
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	default_type text/plain;
	log_format stamped '\$msec \$status';
$("$conf_fn" "$dir" "$port")
}
EOF
}

# Start nginx on a free port (another process may take the port first:
# try a few). Sets PORT and BASE.
start_nginx() {
	local dir=$1 conf_fn=$2 try i
	mkdir -p "$dir/tmp" "$dir/www"
	for try in 1 2 3 4 5; do
		PORT=$(free_port)
		nginx_conf "$dir" "$PORT" "$conf_fn"
		"$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" </dev/null \
			>"$dir/nginx.out" 2>&1 3>&- &
		echo $! >"$dir/master.pid"
		for ((i = 0; i < 100; i++)); do
			if curl -s -o /dev/null "http://127.0.0.1:$PORT/nginx-probe"; then
				BASE="http://127.0.0.1:$PORT"
				return 0
			fi
			alive "$(cat "$dir/master.pid")" || break
			sleep 0.05
		done
		stop_nginx "$dir"
	done
	echo "nginx did not start:" >&2
	cat "$dir/nginx.out" "$dir/error.log" >&2
	return 1
}

stop_nginx() {
	local dir=$1 pid f i
	for f in "$dir/nginx.pid" "$dir/master.pid"; do
		pid=$(cat "$f" 2>/dev/null) || continue
		[[ $pid =~ ^[0-9]+$ ]] || continue
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == nginx ]] || continue
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
		kill_if nginx "$pid"
	done
	rm -f "$dir/nginx.pid" "$dir/master.pid"
}

# nginx_setup_file DIR CONF_FN: for setup_file: skip the file when nginx
# or curl is missing, else start nginx and export NGINX_DIR, PORT, BASE.
nginx_setup_file() {
	[[ -x $NGINX ]] || skip "nginx is not installed (scripts/bootstrap installs it)"
	command -v curl >/dev/null || skip "curl is not installed"
	export NGINX_DIR=$1
	start_nginx "$NGINX_DIR" "$2"
	export PORT BASE
}
