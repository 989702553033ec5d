#!/usr/bin/env bats
# patience resource -- CMD (the resource id a run would use), patience
# profiles, --profile and [profiles.NAME], and limit lists (-r N/DUR).

load helpers

@test "resource: the id derived from the command, one line on stdout" {
	run --separate-stderr patience resource -- curl -sSo out -H 'X: decoy.example' \
		https://API.GitHub.com/users/123/repos?page=2
	assert_status 0
	assert_eq "$output" "api:external:api.github.com"
	assert_eq "$stderr" ""
	run --separate-stderr patience resource -- /usr/bin/rsync -a x y
	assert_eq "$output" "cmd:local:rsync"
	run --separate-stderr patience resource -- http POST :3000/orders name=x
	assert_eq "$output" "api:external:localhost"
	run --separate-stderr patience resource -- git clone git@github.com:x/y.git
	assert_eq "$output" "git:remote:github.com"
	run --separate-stderr patience resource -- docker pull ubuntu:22.04
	assert_eq "$output" "registry:oci:docker.io"
}

@test "resource: databases and remote shells, their option values skipped" {
	run --separate-stderr patience resource -- ssh -p 2222 deploy@Build.Example.com true
	assert_status 0
	assert_eq "$output" "network:ssh:build.example.com"
	run --separate-stderr patience resource -- scp -P 2222 ./a:b deploy@files.example.com:/srv/
	assert_eq "$output" "network:ssh:files.example.com"
	run --separate-stderr patience resource -- rsync -a -e 'ssh -p 2222' src/ backup.example.com::mod/
	assert_eq "$output" "network:rsync:backup.example.com"
	run --separate-stderr patience resource -- psql -h DB.example.com -p 5433 -c 'select 1' app
	assert_eq "$output" "database:postgres:db.example.com:5433/app"
	PGDATABASE=prod_db run --separate-stderr patience resource -- psql -U admin
	assert_eq "$output" "database:postgres:prod_db"
	run --separate-stderr patience resource -- mysql -u root -p -h db.example.com app
	assert_eq "$output" "database:mysql:db.example.com/app"
	run --separate-stderr patience resource -- mongosh 'mongodb+srv://u:pw@Cluster0.example.net/app'
	assert_eq "$output" "database:mongodb:cluster0.example.net/app"
	run --separate-stderr patience resource -- psql -U admin
	assert_eq "$output" "cmd:local:psql"
}

@test "resource: a run through the daemon limits network:ssh:HOST; ssh runs as given" {
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	printf '#!/bin/sh\necho "$*" >>"%s/ssh.log"\n' "$T" >"$T/bin/ssh"
	chmod +x "$T/bin/ssh"
	patience fixed -a 1 -r 5/1s --daemon --json -- ssh -p 2222 deploy@Build.Example.com true \
		2>"$T/summary" 3>&-
	stderr=$(cat "$T/summary")
	assert_eq "$(json_field 'j["resource_id"]')" "network:ssh:build.example.com"
	assert_eq "$(cat "$T/ssh.log")" "-p 2222 deploy@Build.Example.com true"
	run --separate-stderr patience daemon status --json
	patience daemon stop >/dev/null
	assert_status 0
	printf '%s' "$output" | python3 -c 'import json, sys
r = {x["resource"]: x for x in json.load(sys.stdin)["resources"]["resources"]}
assert r["network:ssh:build.example.com"]["limit"] == 5, r'
}

@test "resource: --resource-scope path, also from PATIENCE_RESOURCE_SCOPE" {
	run --separate-stderr patience resource --resource-scope path -- \
		curl https://api.example.com//users/123/repos/?q=1#x
	assert_status 0
	assert_eq "$output" "api:external:api.example.com/users/{id}/repos"
	PATIENCE_RESOURCE_SCOPE=path run --separate-stderr patience resource -- \
		docker pull ghcr.io/o/img:1
	assert_eq "$output" "registry:oci:ghcr.io/o/img"
	run --separate-stderr patience resource --resource-scope deep -- curl x
	assert_status 125
	assert_contains "$stderr" "--resource-scope: invalid value \"deep\": expected host or path"
}

@test "resource: aws takes its region from --region, then AWS_REGION" {
	AWS_REGION=eu-west-1 run --separate-stderr patience resource -- aws s3 ls
	assert_eq "$output" "api:aws:s3.eu-west-1"
	AWS_REGION=eu-west-1 run --separate-stderr patience resource -- aws --region us-east-1 s3 ls
	assert_eq "$output" "api:aws:s3.us-east-1"
}

@test "resource: a profile's id, and --resource-id over it" {
	run --separate-stderr patience resource --profile github -- ./sync.sh
	assert_eq "$output" "api:external:api.github.com"
	run --separate-stderr patience resource --profile github --resource-id mine -- ./sync.sh
	assert_eq "$output" "mine"
	run --separate-stderr patience resource --profile nope -- ./sync.sh
	assert_status 125
	assert_contains "$stderr" "unknown profile \"nope\""
	run --separate-stderr patience resource
	assert_status 125
	assert_contains "$stderr" "no command given"
}

@test "profiles: built-in ones with their sources; --json" {
	run --separate-stderr patience profiles
	assert_status 0
	assert_contains "$output" "github               5000/1h"
	assert_contains "$output" "docs.github.com"
	assert_contains "$output" "dockerhub"
	run --separate-stderr patience profiles --json
	assert_status 0
	printf '%s' "$output" | python3 -c 'import json, sys
p = {x["name"]: x for x in json.load(sys.stdin)["profiles"]}
assert p["github-search"]["limits"] == ["30/1m"], p
assert p["github"]["builtin"] and "https://" in p["github"]["source"]'
}

@test "[profiles.NAME] adds profiles and changes built-in ones; --profile uses them" {
	cat >.patience.toml <<'TOML'
[profiles.myapi]
resource = "api:external:api.example.com"
limits = ["60/1m", "1000/1d@calendar"]
source = "https://api.example.com/limits"

[profiles.github]
limit = 15000
window = "1h"
TOML
	run --separate-stderr patience profiles
	assert_contains "$output" "github               15000/1h"
	assert_contains "$output" "(changed by a config file)"
	assert_contains "$output" "myapi                60/1m,1000/1d@calendar api:external:api.example.com"
	run --separate-stderr patience fixed --profile myapi -a 1 --json -- true
	assert_status 0
	assert_eq "$(json_field 'j["resource_id"]')" "api:external:api.example.com"
	assert_eq "$(json_field 'j["limits"]')" "60/1m,1000/1d@calendar"
	# an explicit limit wins over the profile's, which keeps its resource
	run --separate-stderr patience fixed --profile github -r 5/1s -a 1 --json -- true
	assert_eq "$(json_field 'j["limits"]')" "5/1s"
	assert_eq "$(json_field 'j["resource_id"]')" "api:external:api.github.com"
}

@test "[profiles.NAME] errors name the file, the line and the key" {
	printf '[profiles.x]\nlimit = 1\nwindow = "1s"\nlimt = 2\n' >.patience.toml
	run --separate-stderr patience profiles
	assert_status 125
	assert_contains "$stderr" ".patience.toml:4: key \"profiles.x\": unknown key \"limt\""
	printf '[profiles.y]\nresource = "r"\n' >.patience.toml
	run --separate-stderr patience fixed -a 1 -- true
	assert_status 125
	assert_contains "$stderr" ".patience.toml:1: key \"profiles.y\": a new profile needs"
}

@test "-r N/DUR: repeated or a list; with -r N -w W" {
	run --separate-stderr patience fixed -r 60/1m -r 1000/1d -a 1 --json -- true
	assert_status 0
	assert_eq "$(json_field 'j["limits"]')" "60/1m,1000/1d"
	refute_contains "$stderr" "enforced"
	run --separate-stderr patience fixed -r 2 -w 1s -r 100/1h -a 1 --json -- true
	assert_eq "$(json_field 'j["limits"]')" "2/1s,100/1h"
	run --separate-stderr patience dio -r 2/1s -o 0,1s --dry-run
	assert_status 0
	assert_contains "$output" "at most 2 starts per 1s"
	run --separate-stderr patience fixed -r 3/1x -- true
	assert_status 125
	assert_contains "$stderr" "--rate-limit: invalid value \"3/1x\""
}

@test "rpr: --profile and --resource-scope, seen by the daemon; the other modes keep the profile's limit" {
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	printf '#!/bin/sh\nexit 0\n' >"$T/bin/curl"
	chmod +x "$T/bin/curl"
	"$PT_BIN/rpr" rate-limit --profile github -t 1 --daemon -q -- true 3>&-
	"$PT_BIN/rpr" rate-limit -r 5/1s --resource-scope path -t 1 --daemon -q -- \
		curl https://x.example.com/users/42 3>&-
	run --separate-stderr patience daemon status --json
	patience daemon stop >/dev/null
	assert_status 0
	printf '%s' "$output" | python3 -c 'import json, sys
r = {x["resource"]: x for x in json.load(sys.stdin)["resources"]["resources"]}
assert r["api:external:api.github.com"]["limit"] == 5000, r
assert r["api:external:x.example.com/users/{id}"]["limit"] == 5, r'
	# 2 per 1s: the third run of a schedule every 10ms waits for the window
	printf '[profiles.slow]\nlimit = 2\nwindow = "1s"\n' >.patience.toml
	run --separate-stderr "$PT_BIN/rpr" count -t 3 -e 10ms --profile slow -- true
	assert_status 0
	assert_contains "$stderr" 'run 3 waits'
	assert_contains "$stderr" '(2 per 1s)'
	rm .patience.toml
	run --separate-stderr "$PT_BIN/rpr" rate-limit --profile nope -- true
	assert_status 2
	assert_contains "$stderr" "unknown profile \"nope\""
}

@test "--profile against explicit limits: the stronger layer wins, the explicit one at a tie" {
	printf 'rate_limit = 7\nwindow = "1s"\n' >.patience.toml
	# a profile given as a flag beats a file's limit
	run --separate-stderr patience fixed --profile gitlab -a 1 --json -- true
	assert_eq "$(json_field 'j["limits"]')" "2000/1m"
	# a profile from the environment does not beat a flag's limit...
	PATIENCE_PROFILE=gitlab run --separate-stderr patience fixed -r 3/1s -a 1 --json -- true
	assert_eq "$(json_field 'j["limits"]')" "3/1s"
	assert_eq "$(json_field 'j["resource_id"]')" "api:external:gitlab.com"
	# ...but beats the file's
	PATIENCE_PROFILE=gitlab run --separate-stderr patience fixed -a 1 --json -- true
	assert_eq "$(json_field 'j["limits"]')" "2000/1m"
	PATIENCE_RESOURCE_ID=mine run --separate-stderr patience fixed --profile gitlab -a 1 --json -- true
	assert_eq "$(json_field 'j["resource_id"]')" "api:external:gitlab.com"
}
