# The tutorial's zsh reads this as its .zshenv (ZDOTDIR points at a folder of this shell's own, made by
# server/terminal/shell-integration.ts). It keeps the command-end nonce, then loads the learner's own
# .zshenv from where zsh would have looked without us ($ZDOTDIR as it was, or $HOME).

# The nonce that marks this shell's commands: read, then its file deleted, before any file of the
# learner's runs. Not exported: no program started from the shell sees it.
IFS= builtin read -r __tut_nonce < "$__TUT_DIR/nonce"
command rm -f -- "$__TUT_DIR/nonce"
__tut_zdotdir=$ZDOTDIR
__tut_user_zdotdir=${__TUT_USER_ZDOTDIR:-$HOME}
__tut_user_zdotdir_set=${__TUT_USER_ZDOTDIR:+1}
builtin unset __TUT_USER_ZDOTDIR

if [[ -o rcs && -f $__tut_user_zdotdir/.zshenv && $__tut_user_zdotdir != "$__tut_zdotdir" ]]; then
  ZDOTDIR=$__tut_user_zdotdir
  builtin source "$__tut_user_zdotdir/.zshenv"
  # A .zshenv may move the learner's ZDOTDIR (export ZDOTDIR=~/.config/zsh): the .zshrc is there then.
  if [[ -n $ZDOTDIR && $ZDOTDIR != "$__tut_user_zdotdir" ]]; then
    __tut_user_zdotdir=$ZDOTDIR
    __tut_user_zdotdir_set=1
  fi
fi
# zsh reads the next start-up files (.zshrc) from here: ours, which loads the learner's.
ZDOTDIR=$__tut_zdotdir
