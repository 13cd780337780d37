/**
 * Commands that change the shell itself rather than the files or the services: a variable
 * (`export MLFLOW_TRACKING_URI=...`), the current folder, an alias, a sourced file (a
 * virtualenv's activate). What they did is gone when the shell is: a step made of them has to
 * run again in a new shell, even though its check may still pass.
 */
const CHANGES_SHELL = /^(?:export|source|\.|cd|pushd|popd|alias|unalias|unset|set|shopt|declare|typeset|eval|umask)(?:\s|$)/;
/** `NAME=value` alone (not `NAME=value command`, which sets it for that command only). */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"]*)$/;

/** True when the command changes the shell it runs in (see above). */
export function setsShellState(command: string): boolean {
  return command
    .split(/&&|\|\||;/)
    .map((part) => part.trim())
    .some((part) => CHANGES_SHELL.test(part) || ASSIGNMENT.test(part));
}
