#!/usr/bin/env bats
# The shell completions that gen_docs writes from the option tables
# (packaging/completions/), tried in the real shells: bash with
# bash-completion (COMPREPLY), zsh (its completion system at a prompt in a
# pseudo-terminal) and fish (complete -C).

load helpers

COMPLETIONS="$PT_SRC/packaging/completions"

# bash_complete WORDS...: what bash-completion offers for the last word.
bash_complete() {
	[[ -r /usr/share/bash-completion/bash_completion ]] || skip "bash-completion is not installed"
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1/bash/$2"
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		fn=_${COMP_WORDS[0]//-/_}
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$COMPLETIONS" "$1" "$@"
}

zsh_complete() {
	command -v zsh >/dev/null || skip "zsh is not installed"
	zsh -f "$PT_SRC/tests/e2e/zcomp.zsh" "$COMPLETIONS/zsh" "$1" | tr -d '\r'
}

fish_complete() {
	command -v fish >/dev/null || skip "fish is not installed"
	fish -c "set fish_complete_path $COMPLETIONS/fish \$fish_complete_path; complete -C '$1'"
}

setup() {
	common_setup
	export PATH="$PT_BIN:$PATH"
}

@test "bash: strategies and modes, options, fixed values, profiles, and the command after --" {
	assert_eq "$(bash_complete patience expo)" "exponential"
	assert_eq "$(bash_complete patience fixed --jit)" "--jitter"
	assert_eq "$(bash_complete patience fixed --jitter "" | sort | tr '\n' ' ')" "equal full "
	assert_eq "$(bash_complete patience exp --priority l)" "low"
	assert_contains "$(bash_complete patience exp --profile git)" "github-search"
	assert_contains "$(bash_complete patience fixed -- ech 2>/dev/null)" "echo"
	assert_eq "$(bash_complete rpr dur)" "duration"
	assert_eq "$(bash_complete rpr interval --overlap pa)" "parallel"
	assert_eq "$(bash_complete patience-daemon --log-level d)" "debug"
	assert_eq "$(bash_complete patience-daemon --max-g)" "--max-guard"
}

@test "zsh: options, fixed values and the command after --" {
	assert_contains "$(zsh_complete 'patience fixed --ji')" "patience fixed --jitter"
	assert_contains "$(zsh_complete 'patience fixed --jitter ')" "equal  full"
	assert_contains "$(zsh_complete 'patience expo')" "patience exponential"
	assert_contains "$(zsh_complete 'rpr interval --overlap ')" "parallel  queue     skip"
	assert_contains "$(zsh_complete 'rpr count -t 3 -- ech')" "echo"
	assert_contains "$(zsh_complete 'patience-daemon --log-l')" "patience-daemon --log-level"
}

@test "fish: options with their help, fixed values" {
	run fish_complete 'patience fixed --ji'
	assert_contains "$output" "--jitter"
	assert_contains "$output" "full: U[0,d)"
	run fish_complete 'rpr interval --overlap '
	assert_eq "$(cut -f1 <<<"$output" | tr '\n' ' ')" "parallel queue skip "
	run fish_complete 'patience --priority '
	assert_eq "$(cut -f1 <<<"$output" | sort | tr '\n' ' ')" "high low normal "
	run fish_complete 'patience-daemon --log-level '
	assert_contains "$output" "debug"
}

@test "every option --help names is completed, and no other" {
	local prog want got
	for prog in patience rpr patience-daemon; do
		want=$({
			"$PT_BIN/$prog" --help
			[[ $prog != patience ]] || for s in fixed linear exponential jitter \
				decorrelated-jitter fibonacci polynomial diophantine http-aware adaptive; do
				"$PT_BIN/patience" "$s" --help
			done
		} | sed -n 's/^ *\(-., \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u)
		got=$(bash_complete "$prog" --x 2>/dev/null; bash_complete "$prog" - 2>/dev/null)
		got=$(grep -- '^--.' <<<"$got" | sort -u)
		assert_eq "$got" "$want"
	done
}
