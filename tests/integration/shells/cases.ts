import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../../server/paths.ts';

/**
 * The learner's shells the `shells` tier runs the tutorial's terminals in: one row per shell and rc.
 * A row's rc is a folder of tests/fixtures/shells/ that becomes the shell's HOME (its `.bashrc` is
 * the learner's rc, its first lines name the tool and version it reproduces), or `machine` for this
 * machine's own HOME and ~/.bashrc (a zsh row's fixture has a `.zshrc`). To add a case: add its
 * folder, then its row here. shells.test.ts runs every row; zsh.test.ts adds what only zsh has.
 */
export interface ShellCase {
  /** The name in the test report. */
  name: string;
  /** The shell the tutorial's terminals run. */
  shell: 'bash' | 'zsh';
  /** The fixture folder under tests/fixtures/shells/ that is HOME, or `machine`. */
  rc: string | 'machine';
  /** Variables the shells get besides the fixture's HOME. */
  env?: Record<string, string>;
  /** Why the case cannot run here (a tool is missing), or undefined. */
  missing?: () => string | undefined;
  /**
   * How the case's shell reports: `yes` (Run follows its commands) or `no` (an rc that undoes the
   * integration: Run types the command and says it cannot follow it).
   */
  reports?: 'yes' | 'no';
  /**
   * What shows that the learner's own hooks still ran, after say-hello's Run: files under HOME
   * whose text must match, and text the terminal must show.
   */
  keeps?: { files?: Record<string, RegExp>; terminal?: RegExp };
}

export const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures', 'shells');

const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ds-tutorial');
/** starship as .ci/run builds it (cargo install --root), or one on PATH. */
export const STARSHIP_BIN = process.env.TEST_STARSHIP ?? join(cache, 'starship', 'bin', 'starship');

/** zsh as Debian installs it, and what the themed fixture's .zshrc sources. */
export const ZSH = '/usr/bin/zsh';
const ZSH_THEME_FILES = [
  '/usr/share/powerlevel9k/powerlevel9k.zsh-theme',
  '/usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh',
  '/usr/share/zsh-syntax-highlighting/zsh-syntax-highlighting.zsh',
];

export const CASES: ShellCase[] = [
  { name: "bash 5 with this machine's own ~/.bashrc", shell: 'bash', rc: 'machine' },
  {
    name: "bash 5 without PS0 (bash 3.2's way), with this machine's ~/.bashrc",
    shell: 'bash',
    rc: 'machine',
    env: { __TUT_FORCE_NO_PS0: '1' },
  },
  {
    name: 'bash 5 with bash-preexec 0.4.1',
    shell: 'bash',
    rc: 'bash-preexec-0.4.1',
    keeps: { files: { 'hooks.log': /preexec echo "hello from the tutorial" \| tee hello.txt\nprecmd 0\n/ } },
  },
  {
    name: 'bash 5 without PS0, with bash-preexec 0.4.1',
    shell: 'bash',
    rc: 'bash-preexec-0.4.1',
    env: { __TUT_FORCE_NO_PS0: '1' },
    keeps: { files: { 'hooks.log': /preexec echo "hello from the tutorial" \| tee hello.txt\nprecmd 0\n/ } },
  },
  {
    name: 'bash 5 with starship',
    shell: 'bash',
    rc: 'starship',
    env: { STARSHIP_BIN_DIR: dirname(STARSHIP_BIN) },
    missing: () =>
      existsSync(STARSHIP_BIN)
        ? undefined
        : `starship is missing at ${STARSHIP_BIN} (cargo install starship --locked --root ${join(cache, 'starship')}; .ci/run does it)`,
  },
  { name: "bash 5 with conda's `conda init bash` block", shell: 'bash', rc: 'conda-24', keeps: { terminal: /\(base\) / } },
  {
    name: "bash 5 with the learner's DEBUG trap and PS0",
    shell: 'bash',
    rc: 'learner-debug-trap',
    keeps: { files: { 'debug.count': /x/, 'ps0.log': /ps0/ } },
  },
  {
    name: "bash 5 without PS0, with the learner's DEBUG trap",
    shell: 'bash',
    rc: 'learner-debug-trap',
    env: { __TUT_FORCE_NO_PS0: '1' },
    keeps: { files: { 'debug.count': /x/, 'ps0.log': /ps0/ } },
  },
  {
    name: 'bash 5 with PROMPT_COMMAND as an array',
    shell: 'bash',
    rc: 'prompt-command-array',
    keeps: { files: { 'prompt.log': /one 0\ntwo\n/ } },
  },
  {
    name: 'bash 5 with a slow rc that prints a banner, clears the screen and changes folder',
    shell: 'bash',
    rc: 'slow-banner-cd',
    keeps: { terminal: /=== banner printed after clear ===/ },
  },
  { name: "bash 5 with iTerm2's shell integration loaded", shell: 'bash', rc: 'iterm2' },
  { name: 'bash 5 with HISTCONTROL=ignorespace, histverify, vi mode and a prompt with $(...)', shell: 'bash', rc: 'history-vi-prompt' },
  {
    name: 'bash 5 with pyenv and a stale rehash lock left by a killed shell',
    shell: 'bash',
    rc: 'pyenv-stale-lock',
    keeps: { terminal: /Removed pyenv's rehash lock/ },
  },
  { name: 'bash 5 whose rc execs another shell', shell: 'bash', rc: 'exec-other-shell', reports: 'no' },
  // zsh where it is the learner's $SHELL (the server starts zsh, and verify picks it from $SHELL).
  {
    name: "zsh 5.9 with Debian's plain .zshrc for a new user",
    shell: 'zsh',
    rc: 'zsh-plain',
    env: { SHELL: ZSH },
    missing: () => (existsSync(ZSH) ? undefined : `zsh is missing at ${ZSH} (apt-get install zsh; .ci/run does it)`),
  },
  {
    name: 'zsh 5.9 themed: powerlevel9k, zsh-autosuggestions, zsh-syntax-highlighting',
    shell: 'zsh',
    rc: 'zsh-themed',
    env: { SHELL: ZSH },
    missing: () => {
      const absent = [ZSH, ...ZSH_THEME_FILES].find((f) => !existsSync(f));
      return (
        absent &&
        `${absent} is missing (apt-get install zsh zsh-theme-powerlevel9k zsh-autosuggestions zsh-syntax-highlighting; .ci/run does it)`
      );
    },
  },
];
