# zsh's own completion of a command line, as a user at a prompt gets it:
# an interactive zsh in a pseudo-terminal (zpty) with the completions of
# FPATH_DIR, the line typed, then TAB twice; prints what the terminal showed.
# usage: zsh -f zcomp.zsh FPATH_DIR LINE
zmodload zsh/zpty
zpty -b z zsh -f -i
zpty -w z "PROMPT='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; unsetopt beep"
zpty -w z "PATH=$PATH"
zpty -w -n z "$2"$'\t'
sleep 1
zpty -w -n z $'\t'
sleep 1
out=""
while zpty -r -t z line; do out+="$line"; done
print -r -- "$out"
zpty -d z
