import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

/** The shells the tutorial's terminals can be, each with its shell integration (server/terminal/shells/). */
export const SHELL_NAMES = ['bash', 'zsh'] as const;
export type ShellName = (typeof SHELL_NAMES)[number];

/** A shell asked for (`--shell`) that is not one of ours, or not installed. */
export class ShellChoiceError extends Error {}

/** True when `program` is an executable file in one of PATH's folders. */
export function onPath(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // Not in this folder.
    }
  }
  return false;
}

/**
 * The shell of the tutorial's terminals: the one asked for (`--shell bash|zsh`), or else the
 * learner's own login shell when it is zsh ($SHELL, as a Mac has it by default) and zsh is
 * installed, or else bash. Throws ShellChoiceError for a shell that is not ours or not installed.
 */
export function chooseShell(asked: string | undefined, env: NodeJS.ProcessEnv = process.env): ShellName {
  if (asked !== undefined) {
    if (!(SHELL_NAMES as readonly string[]).includes(asked))
      throw new ShellChoiceError(`"${asked}" is not a shell the tutorial knows. Pass --shell bash or --shell zsh.`);
    if (!onPath(asked, env))
      throw new ShellChoiceError(
        `--shell ${asked} asks for ${asked}, which is not installed (it is in none of PATH's folders). Install it (on Debian and Ubuntu: sudo apt-get install ${asked}), or leave out --shell.`,
      );
    return asked as ShellName;
  }
  return basename(env.SHELL ?? '') === 'zsh' && onPath('zsh', env) ? 'zsh' : 'bash';
}
