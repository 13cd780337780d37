# shellcheck shell=bash
# The tutorial's shell integration for bash 3.2 and later. server/terminal/shell-integration.ts
# copies this file into a shell's private folder and starts `bash --rcfile <copy> -i`.
#
# The learner's own rc runs first; then this file hooks into the prompt without undoing what the rc
# set up: PROMPT_COMMAND as a string (with or without a trailing ";" or newline) or an array, a DEBUG
# trap, PS0, bash-preexec, starship. The marks it prints (read and removed from the output by
# server/terminal/shell-marks.ts; FinalTerm's OSC 133 and VS Code's OSC 633):
#   133;A and 133;B            around the prompt, in PS1
#   633;E;<line>;<nonce>       the command line about to run, as history has it
#   133;C;nonce=<nonce>        the command starts
#   133;D;<status>;nonce=<n>   the prompt is back, with the last status
# E and C come from PS0 on bash 4.4 and later, or else (bash 3.2, a Mac's) from the DEBUG trap at the
# first command of a line. __TUT_FORCE_NO_PS0=1 in the environment takes the DEBUG-trap way on any
# bash (the shells test tier uses it; nothing else does).
# Every name starts with __tut_. Nothing here prints anything but the marks.

# Loaded once per shell (VS Code's guard against being sourced twice).
if [ -n "${__tut_loaded-}" ]; then builtin return 0; fi
__tut_loaded=1

# The nonce: read, then its file deleted, before anything else runs.
IFS= builtin read -r __tut_nonce < "$__TUT_DIR/nonce"
command rm -f -- "$__TUT_DIR/nonce"
__tut_no_ps0=${__TUT_FORCE_NO_PS0-}
builtin unset __TUT_FORCE_NO_PS0
if [ -z "$__tut_no_ps0" ] && ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then __tut_no_ps0=1; fi
# The workspace: the folder the server started the shell in, whatever the rc does with the cwd.
__tut_workspace=$PWD

# The learner's rc. On a Mac, bash's rc is most often ~/.bash_profile (Terminal starts login shells).
if [ -r "$HOME/.bashrc" ]; then
  builtin . "$HOME/.bashrc"
elif [[ ${OSTYPE-} == darwin* ]]; then
  for __tut_f in "$HOME/.bash_profile" "$HOME/.bash_login" "$HOME/.profile"; do
    if [ -r "$__tut_f" ]; then
      builtin . "$__tut_f"
      break
    fi
  done
  builtin unset __tut_f
fi

# The learner's aliases stay out of the functions below (they are expanded when a function is read).
__tut_aliases=
if builtin shopt -q expand_aliases; then
  __tut_aliases=1
  builtin shopt -u expand_aliases
fi

__tut_seq=0
# Until the first prompt, commands are the rc's own, not the learner's.
__tut_in_cmd=1
__tut_hist_re='^ *([0-9]+)[* ] (.*)$'

# The command line is read from history: nothing may keep a line out of it. A learner's
# "ignorespace" is kept by deleting such a line from history once it has been read (bash-preexec's way).
__tut_histcontrol() {
  if [[ ${HISTCONTROL-} == *ignorespace* || ${HISTCONTROL-} == *ignoreboth* ]]; then __tut_ignorespace=1; fi
  HISTCONTROL=${HISTCONTROL//ignoreboth/ignoredups}
  HISTCONTROL=${HISTCONTROL//ignorespace/}
  builtin unset HISTIGNORE
}
__tut_ignorespace=
__tut_histcontrol

# A command line escaped for OSC 633;E as VS Code escapes it: \\ for a backslash, \xNN for ";" and control characters.
__tut_escape() {
  local s=$1 i hex c
  s=${s//\\/\\\\}
  s=${s//;/\\x3b}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 1; i < 32; i++)); do
      builtin printf -v hex '%02x' "$i"
      # shellcheck disable=SC2059 # the format is the escape \xNN, made from a number
      builtin printf -v c "\\x$hex"
      s=${s//"$c"/\\x$hex}
    done
    s=${s//$'\x7f'/\\x7f}
  fi
  __tut_escaped=${s:0:16000}
}

# The line history holds last (the one being run) in __tut_line, its number in __tut_hist_n;
# status 1 when history is off.
__tut_last_line() {
  local h
  __tut_line=''
  __tut_hist_n=''
  [[ -o history ]] || return 1
  h=$(HISTTIMEFORMAT='' builtin history 1)
  if [[ $h =~ $__tut_hist_re ]]; then
    __tut_hist_n=${BASH_REMATCH[1]}
    h=${BASH_REMATCH[2]}
  fi
  __tut_line=$h
}

# The workspace's virtualenv, once a chapter has made it, is active in every chapter's shell, also in
# one that started before it was made (from its next command on); once only, so a deactivate stays.
__tut_venv() {
  [[ -z ${__tut_venv_tried-} && -z ${VIRTUAL_ENV-} && -f "$TUTORIAL_WORKSPACE/.venv/bin/activate" ]] || return 0
  __tut_venv_tried=1
  # Only files of this user's own: a workspace someone else swapped in is not run.
  [[ -O "$TUTORIAL_WORKSPACE" && -O "$TUTORIAL_WORKSPACE/.venv/bin/activate" ]] || return 0
  builtin . "$TUTORIAL_WORKSPACE/.venv/bin/activate"
}

__tut_status() { return "$1"; }

# Without PS0: the line just read from history (if any) and the command's start, once per line.
__tut_prev_n=
__tut_report() {
  if [[ -n $__tut_hist_n ]]; then
    __tut_prev_n=$__tut_hist_n
    __tut_escape "$__tut_line"
    builtin printf '\033]633;E;%s;%s\007' "$__tut_escaped" "$__tut_nonce"
  fi
  builtin printf '\033]133;C;nonce=%s\007' "$__tut_nonce"
}

# The DEBUG trap. Ours runs once per command line, at its first command (never for the prompt's
# own commands): the step variables the server dropped for it, the virtualenv, and, without PS0,
# the command line and its start. A trap the learner's rc had set runs after ours, as before.
__tut_debug() {
  local s=$?
  if [[ $__tut_in_cmd == 0 && $BASH_COMMAND != __tut_precmd* ]]; then
    __tut_in_cmd=1
    __tut_venv
    local next=$((__tut_seq + 1))
    if [[ -e "$__TUT_DIR/env.$next" && -O "$__TUT_DIR" && -O "$__TUT_DIR/env.$next" ]]; then
      __tut_seq=$next
      builtin . "$__TUT_DIR/env.$next"
    fi
    if [[ -n $__tut_no_ps0 ]]; then
      __tut_last_line
      __tut_report
    fi
    # Without PS0 the line has just been read above.
    if [[ -n $__tut_ignorespace ]] && { [[ -n $__tut_no_ps0 ]] || __tut_last_line; }; then
      [[ $__tut_line == ' '* && -n $__tut_hist_n ]] && builtin history -d "$__tut_hist_n"
    fi
  fi
  if [[ -n ${__tut_their_debug-} ]]; then
    __tut_status "$s" "$1"
    builtin eval "$__tut_their_debug"
  fi
}

# A DEBUG trap the rc set: kept, and run after ours (VS Code reads it the same way: `trap -p`
# quotes it, so evaluating that into an array gives the command back exactly).
__tut_get_debug_trap() {
  local -a terms
  builtin eval "terms=( $(builtin trap -p DEBUG) )"
  __tut_their_debug=${terms[2]-}
}
__tut_get_debug_trap
builtin trap '__tut_debug "$_"' DEBUG

# PS0 (bash 4.4 and later) is printed when a command line has been read, before it runs (never for
# an empty line, always for a subshell or a function definition, which the DEBUG trap misses): the
# line as history has it, and the command's start. A PS0 the learner set is printed after it.
__tut_ps0() {
  if __tut_last_line; then
    __tut_escape "$__tut_line"
    builtin printf '\033]633;E;%s;%s\007' "$__tut_escaped" "$__tut_nonce"
  fi
  builtin printf '\033]133;C;nonce=%s\007' "$__tut_nonce"
}
# The literal text PS0 starts with (expanded by bash when it prints PS0, not here).
# shellcheck disable=SC2016
__tut_ps0_call='$(__tut_ps0)'
__tut_keep_ps0() {
  [[ -z $__tut_no_ps0 && ${PS0-} != *"$__tut_ps0_call"* ]] && PS0=$__tut_ps0_call${PS0-}
}

__tut_A='\[\033]133;A\007\]'
__tut_B='\[\033]133;B\007\]'

# First in PROMPT_COMMAND: the prompt is back. Returns the status it found, so the learner's hooks
# after it still see the command's.
__tut_precmd() {
  local s=$?
  # Without PS0, a line that ran no simple command (a subshell, a function definition) went past
  # the DEBUG trap: history has it, so it is reported now (VS Code compares history numbers too).
  if [[ -n $__tut_no_ps0 && $__tut_in_cmd == 0 ]] && __tut_last_line && [[ $__tut_hist_n != "$__tut_prev_n" ]]; then
    __tut_report
  fi
  # The prompt's own commands (the learner's PROMPT_COMMAND too) are not a command line.
  __tut_in_cmd=1
  builtin printf '\033]133;D;%s;nonce=%s\007' "$s" "$__tut_nonce"
  return "$s"
}

# PROMPT_COMMAND keeps __tut_precmd first and __tut_postcmd last, as a string (one command a line,
# so the learner's own may end in ";" or a newline) or as an array (bash 5.1). Whoever rewrites it
# later (bash-preexec at its first prompt, starship, the learner) gets ours put back around theirs;
# bash-preexec's __bp_interactive_mode stays last, as it must (its DEBUG trap takes the first
# command after it for the learner's).
__tut_keep_prompt_command() {
  local n=${#PROMPT_COMMAND[@]} c pc last=__tut_postcmd bp=__bp_interactive_mode
  if ((n > 1)); then
    c=${PROMPT_COMMAND[*]: -1}
    [[ ${PROMPT_COMMAND[0]} == __tut_precmd && ($c == __tut_postcmd || ($c == "$bp" && ${PROMPT_COMMAND[*]: -2:1} == __tut_postcmd)) ]] && return 0
    local -a keep
    keep=()
    for c in "${PROMPT_COMMAND[@]}"; do
      [[ $c == __tut_precmd || $c == __tut_postcmd || $c == "$bp" ]] || keep+=("$c")
    done
    if [[ ${PROMPT_COMMAND[*]: -1} == "$bp" ]]; then
      PROMPT_COMMAND=(__tut_precmd "${keep[@]}" __tut_postcmd "$bp")
    else
      PROMPT_COMMAND=(__tut_precmd "${keep[@]}" __tut_postcmd)
    fi
    return 0
  fi
  pc=${PROMPT_COMMAND-}
  if [[ $pc == *"$bp" ]]; then last=__tut_postcmd$'\n'$bp; fi
  [[ $pc == __tut_precmd$'\n'* && $pc == *$'\n'"$last" ]] && return 0
  # Ours, wherever they are now, become no-ops (removing them could leave a ";" alone on a line).
  pc=${pc//__tut_precmd/:}
  pc=${pc//__tut_postcmd/:}
  if [[ $last != __tut_postcmd ]]; then pc=${pc%"$bp"}; fi
  # A leading ";" (or blanks) would be a syntax error on a line of its own.
  pc=${pc#"${pc%%[![:space:];]*}"}
  # shellcheck disable=SC2178 # a string here, an array above: whichever the learner's rc made
  PROMPT_COMMAND=__tut_precmd$'\n'$pc$'\n'$last
  # bash-preexec installed itself just now, in this very PROMPT_COMMAND, before us: its DEBUG trap
  # took us for its last command, so it waits for the learner's line again.
  if [[ $last != __tut_postcmd ]] && builtin type -t "$bp" >/dev/null; then "$bp"; fi
}

# Last in PROMPT_COMMAND, after whatever else sets PS1: the prompt is wrapped in its marks again
# when PS1 changed (a virtualenv's activate prepends to it, starship sets it each time), PS0 and
# PROMPT_COMMAND keep ours, and the next line is the learner's.
__tut_postcmd() {
  local s=$? p
  if [[ $PS1 != "${__tut_ps1-}" ]]; then
    p=${PS1//"$__tut_A"/}
    p=${p//"$__tut_B"/}
    __tut_ps1=$__tut_A$p$__tut_B
    PS1=$__tut_ps1
  fi
  __tut_keep_ps0
  __tut_histcontrol
  __tut_keep_prompt_command
  # Without PS0, history's last number at the first prompt (bash loads the history file after the
  # rc): a line is new when history has another number.
  if [[ -n $__tut_no_ps0 && -z ${__tut_primed-} ]]; then
    __tut_primed=1
    __tut_last_line
    __tut_prev_n=$__tut_hist_n
  fi
  __tut_in_cmd=0
  return "$s"
}

__tut_keep_ps0
__tut_keep_prompt_command

if [ -n "$__tut_aliases" ]; then builtin shopt -s expand_aliases; fi
builtin unset __tut_aliases

# The tutorial's terminal is the workspace's, also when the rc changed folder.
if [ "$PWD" != "$__tut_workspace" ]; then builtin cd -- "$__tut_workspace" || true; fi
export TUTORIAL_WORKSPACE="$__tut_workspace"
# A plain "docker compose ..." (as the hints of the checks write it) finds the stack.
if [ -z "${COMPOSE_FILE-}" ] && [ -f "$PWD/compose/docker-compose.yml" ]; then export COMPOSE_FILE="$PWD/compose/docker-compose.yml"; fi
__tut_venv
