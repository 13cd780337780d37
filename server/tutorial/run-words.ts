import type { ServerMessage } from '../../protocol/messages.ts';
import type { CheckResult } from '../../protocol/result.ts';
import type { FailedCommand } from '../checks/diagnosis.ts';
import type { CommandEnd, LineState } from '../terminal/session-manager.ts';

/** What the learner reads when a Run is not typed, or ran as something else. */

export type RunRefusal = Omit<Extract<ServerMessage, { type: 'run-refused' }>, 'type' | 'request' | 'chapter' | 'step' | 'index' | 'upTo'>;

/** A line as the learner would read it inside backticks: on one line, not endless. */
export function shown(line: string, max = 160): string {
  const one = line.replace(/\s*\n\s*/g, ' ').replaceAll('`', "'");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Why a Run was not typed onto the line in `state`, and the button that empties it first. */
export function refusal(state: Exclude<LineState, { kind: 'empty' }>, afterClearing = false): RunRefusal {
  if (afterClearing && (state.kind === 'busy' || state.kind === 'text' || state.kind === 'elsewhere')) {
    const what = state.kind === 'busy' && state.command ? `\`${shown(state.command)}\` is still running` : 'the line is still not empty';
    return {
      reason: 'still-busy',
      message: `Ctrl-C did not bring back an empty prompt: ${what}. Leave the program the way it asks (q, :q or exit, say), then press Run again.`,
    };
  }
  switch (state.kind) {
    case 'text':
      return {
        reason: 'text',
        line: state.text,
        message: `The terminal's prompt line already holds \`${shown(state.text)}\`, so Run did not type the command after it. Clear the line and run, or press Enter in the terminal to run that line first.`,
        clear: 'Clear the line and run',
      };
    case 'elsewhere':
      return {
        reason: 'elsewhere',
        line: state.text,
        message: `The terminal is waiting for an answer (\`${shown(state.text)}\`), which would take the command's letters as keys, so Run did not type it. Clear the line and run, or answer it in the terminal first.`,
        clear: 'Clear the line and run',
      };
    case 'busy':
      return {
        reason: 'busy',
        ...(state.command ? { line: state.command } : {}),
        message: `${state.command ? `The terminal is still running \`${shown(state.command)}\`` : 'The terminal is still running a command'}, so Run did not type this one into it. Wait for it to finish, or interrupt it (Ctrl-C) and run this one.`,
        clear: 'Interrupt it and run',
      };
    case 'starting':
      return {
        reason: 'starting',
        message: "The terminal's shell is still starting, so Run did not type the command yet. Press Run again in a moment.",
      };
    case 'ended':
      return {
        reason: 'starting',
        message: "The terminal's shell has ended. Press a key in the terminal to start a new one, then press Run again.",
      };
  }
}

/** How long a Run waits for a new shell's first prompt; a shell that shows none by then does not report (see unreported). */
export const STARTUP_WAIT_MS = 10_000;

/**
 * The step's result after a Run typed its command into a shell that reports no prompt (its rc
 * started another program, say, or reset the tutorial's hooks): nothing can tell when it ends.
 */
export function unreported(command: string, chapter: string): CheckResult {
  return {
    ok: false,
    message:
      "This terminal's shell does not tell the tutorial when a command starts or ends (something in your shell's start-up file, such as ~/.bashrc, replaced or undid the tutorial's hooks), so the command was typed and is not followed. Press Check when it has finished.",
    hint: `Your prompt and commands work as usual. To have Run follow commands again, look in ~/.bashrc for a line that starts another program (exec) or resets PROMPT_COMMAND or the DEBUG trap, then reload the page for a new shell (chapter ${chapter}).`,
    evidence: [{ label: 'The command typed', text: command }],
  };
}

/** The result of a Run whose command did not run as written: what ran instead, or that nothing did. */
export function notAsWritten(command: string, end: CommandEnd): CheckResult {
  if (!end.executed) {
    const interrupted = end.exitCode === 130 ? ' (it was interrupted with Ctrl-C)' : '';
    return {
      ok: false,
      message: `The command did not run: the prompt came back without running it${interrupted}, so the step was not checked.`,
      hint: 'Press Run again: it types the command on an empty prompt line.',
      evidence: [{ label: 'The command of the step', text: command }],
    };
  }
  return {
    ok: false,
    message: `The command did not run as written, so the step was not checked. The shell ran \`${shown(end.ran ?? '')}\`.`,
    hint: 'Press Run again: it types the command on an empty prompt line. Text typed while a command runs waits at the next prompt and goes first.',
    evidence: [
      { label: 'What the shell ran', text: end.ran ?? '' },
      { label: 'The command of the step', text: command },
    ],
  };
}

/** The result of a Run cut short by a server that stopped while it ran (found in the store by a later server). */
export const INTERRUPTED_BY_RESTART: CheckResult = {
  ok: false,
  message: "The tutorial server stopped while this step's command was running, so the step was not checked.",
  hint: 'Press Run again.',
  evidence: [],
};

/** The line a new shell shows when the chapter's earlier steps ran in a shell that has ended. */
export function newShellNotice(steps: string[]): string {
  const again = steps.length > 0 ? ` Run again: ${steps.join('; ')}.` : '';
  return `This is a new shell: the one the earlier steps ran in has ended (the tutorial server restarted, or the shell exited), and what they set in it, such as variables, is gone.${again}`;
}

/** How a Run ended (StepController.runCommand). */
export interface RunOutcome {
  /** The shell ran the command as written (or ran nothing: then false too). */
  asWritten: boolean;
  /** Its exit status, when it ran as written. */
  exitCode?: number;
  /** The step's result when it did not run as written (stored already). */
  result?: CheckResult;
  /** The command, its status and what it printed, when it ran as written and failed. */
  failed?: FailedCommand;
}
