# The tutorial's zsh reads this as its .zshrc (server/terminal/shell-integration.ts puts it in a ZDOTDIR of
# the shell's own; zsh-env.zsh, its .zshenv, has read the nonce and the learner's .zshenv). The learner's
# own .zshrc comes first; then the shell integration, the same marks as the bash one
# (server/terminal/shell-marks.ts):
#   133;A / 133;B           around the prompt (in PS1, wrapped again whenever something changes PS1)
#   633;E;<line>;<nonce>    the command line as typed (preexec's first argument), escaped as VS Code does
#   133;C;nonce=<nonce>     the command starts (preexec)
#   133;D;<status>;nonce=.. the prompt is back, with the last status (precmd)
# and the step variables (env.N files) loaded just before the next command, the workspace's virtualenv,
# COMPOSE_FILE. Every hook starts with `emulate -L zsh`, so the learner's options (ksh_arrays, nounset,
# xtrace, sh_word_split...) neither break it nor show, and passes the status on untouched.

# Loaded once: a second source (a learner's `source ~/.zshrc` finds ZDOTDIR pointing at their own) is a no-op.
if (( ${+__tut_loaded} )); then
  builtin return 0
fi
__tut_loaded=1

# The learner's .zshrc, with ZDOTDIR where they keep it (their plugins and compinit look there).
if [[ -o rcs && -f $__tut_user_zdotdir/.zshrc ]]; then
  ZDOTDIR=$__tut_user_zdotdir
  builtin source "$__tut_user_zdotdir/.zshrc"
fi
# From now on ZDOTDIR is the learner's again (a zsh started from this one loads their files, not ours).
if [[ -n $__tut_user_zdotdir_set ]]; then
  export ZDOTDIR=$__tut_user_zdotdir
else
  builtin unset ZDOTDIR
fi

builtin autoload -Uz add-zsh-hook
__tut_seq=0
# Until the first prompt, nothing runs that the learner typed.
__tut_in_cmd=1
__tut_A=$'%{\e]133;A\a%}'
__tut_B=$'%{\e]133;B\a%}'
__tut_H=$'%{\e]633;H\a%}'
__tut_I=$'%{\e]633;I\a%}'

# Escapes a command line for OSC 633;E as VS Code does: \\ for a backslash, \xNN for ";" and control characters.
__tut_escape() {
  builtin emulate -L zsh
  builtin local s=$1 i c
  s=${s//\\/\\\\}
  s=${s//;/\\x3b}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for i in {1..31} 127; do
      c=${(#)i}
      s=${s//$c/\\x${(L)${(l:2::0:)$(( [##16] i ))}}}
    done
  fi
  REPLY=${s[1,16000]}
}

# The workspace's virtualenv, once a chapter has made it, is active in every chapter's shell, also in one
# that started before it was made (from its next command on); once only, so a deactivate stays.
__tut_venv() {
  [[ -z $__tut_venv_tried && -z $VIRTUAL_ENV && -f $TUTORIAL_WORKSPACE/.venv/bin/activate ]] || builtin return 0
  __tut_venv_tried=1
  # Only files of this user's own: a workspace someone else swapped in is not run.
  [[ -O $TUTORIAL_WORKSPACE && -O $TUTORIAL_WORKSPACE/.venv/bin/activate ]] || builtin return 0
  builtin source "$TUTORIAL_WORKSPACE/.venv/bin/activate"
}

# Before each command line the learner (or Run) entered: step variables, the line, the command's start.
__tut_preexec() {
  builtin emulate -L zsh
  [[ $__tut_in_cmd == 0 ]] || builtin return 0
  __tut_in_cmd=1
  __tut_order_hooks
  __tut_venv
  builtin local next=$((__tut_seq + 1))
  if [[ -e $__TUT_DIR/env.$next && -O $__TUT_DIR && -O $__TUT_DIR/env.$next ]]; then
    __tut_seq=$next
    builtin source "$__TUT_DIR/env.$next"
  fi
  __tut_escape "$1"
  builtin printf '\e]633;E;%s;%s\a' "$REPLY" "$__tut_nonce"
  builtin printf '\e]133;C;nonce=%s\a' "$__tut_nonce"
}

# Last of the precmd hooks, after whatever else sets PS1 (a theme rebuilds it before every prompt, a
# virtualenv's activate prepends to it). zsh gives every hook the command's status. The prompt is back
# (133;D, as late as can be, so that the prompt follows it closely); the prompt is wrapped in its marks, and
# so is the right prompt (a theme's clock or status: the server must not take it for text on the line); the
# next line is the learner's.
__tut_precmd() {
  builtin local __tut_status=$? p
  builtin emulate -L zsh
  builtin printf '\e]133;D;%s;nonce=%s\a' "$__tut_status" "$__tut_nonce"
  if [[ $PS1 != "$__tut_ps1" ]]; then
    p=${PS1//$__tut_A/}
    p=${p//$__tut_B/}
    __tut_ps1=$__tut_A$p$__tut_B
    PS1=$__tut_ps1
  fi
  if [[ -n $RPROMPT && $RPROMPT != "$__tut_rprompt" ]]; then
    p=${RPROMPT//$__tut_H/}
    p=${p//$__tut_I/}
    __tut_rprompt=$__tut_H$p$__tut_I
    RPROMPT=$__tut_rprompt
  fi
  __tut_in_cmd=0
  builtin return $__tut_status
}

# Ours last among the precmd hooks (again before every command, for hooks a plugin adds later), and
# among the preexec ones, after the learner's, so that nothing of theirs is printed between the command's
# start and the command.
__tut_order_hooks() {
  builtin emulate -L zsh
  precmd_functions=(${precmd_functions:#__tut_precmd} __tut_precmd)
}
__tut_order_hooks
preexec_functions=(${preexec_functions:#__tut_preexec} __tut_preexec)

# When the line editor starts reading a line, the whole prompt (the right one too) has been drawn and the
# cursor is where the input starts: the prompt's end (133;B) is marked there again. It stands whatever
# happened to PS1's own marks, e.g. a Ctrl-C that cut short a theme's prompt ($(build_left_prompt)). A Ctrl-C
# while the precmd hooks run skips those after the one it hit, ours among them: the command's end then
# comes from here, with the interrupt's status.
__tut_line_init() {
  if [[ $__tut_in_cmd == 1 ]]; then
    __tut_in_cmd=0
    builtin printf '\e]133;D;130;nonce=%s\a' "$__tut_nonce"
  fi
  builtin printf '\e]133;B\a'
}
builtin autoload -Uz add-zle-hook-widget
builtin zle -N __tut_line_init
add-zle-hook-widget line-init __tut_line_init

export TUTORIAL_WORKSPACE=$PWD
# A plain "docker compose ..." (as the hints of the checks write it) finds the stack.
if [[ -z $COMPOSE_FILE && -f $PWD/compose/docker-compose.yml ]]; then
  export COMPOSE_FILE=$PWD/compose/docker-compose.yml
fi
__tut_venv
