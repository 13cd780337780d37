import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { type CommandProbe, commandProbe } from '../../../protocol/probes/command.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { clip, lastLines, seconds } from '../../words.ts';
import { ev, LABEL } from '../evidence.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

/** Output kept per command; the tail is what matters for a learner and for diagnosis. */
const MAX_OUTPUT = 256 * 1024;

/** What a finished (or stopped) command left behind. */
export interface CommandOutcome {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr together, in the order they arrived (the last MAX_OUTPUT bytes). */
  output: string;
  /** True when the deadline stopped it. */
  timedOut: boolean;
}

/**
 * Runs `bash -c <command>` (not a login shell: a learner's profile may be slow or take locks, such as pyenv's rehash) in its own process group in `cwd`. At the deadline the whole group
 * gets SIGKILL, so a pipeline or a child it started cannot outlive the check.
 */
export function runCommand(command: string, cwd: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const killGroup = () => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    if (signal.aborted) killGroup();
    else signal.addEventListener('abort', killGroup, { once: true });
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const finish = () => {
      if (settled || !exit) return;
      settled = true;
      signal.removeEventListener('abort', killGroup);
      resolve({ ...exit, output, timedOut });
    };
    child.on('error', (err) => {
      settled = true;
      signal.removeEventListener('abort', killGroup);
      reject(err);
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      // A background process may still hold the pipes; do not wait for it past a moment.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 200).unref();
    });
    child.on('close', finish);
  });
}

async function run(spec: CommandProbe, ctx: ProbeContext): Promise<CheckResult> {
  const folder = await stat(ctx.workspace).catch(() => undefined);
  if (!folder?.isDirectory()) {
    return {
      ok: false,
      message: `The workspace folder ${ctx.workspace} does not exist yet, so the command cannot run there.`,
      hint: 'Start the tutorial server once (`npm start`); it creates the workspace from the template.',
      evidence: [],
    };
  }
  const out = await runCommand(spec.run, ctx.workspace, ctx.env, ctx.signal);
  // The check runs this command itself, apart from the terminal: its words never pass it off as
  // what the learner typed (a learner who typed something else read "The command X ran").
  const shown = `\`${spec.run}\``;
  const evidence = [
    ev(LABEL.exitStatus, out.code === null ? `ended by ${out.signal}` : String(out.code)),
    ev(`${LABEL.commandOutput} (last 40 lines)`, clip(lastLines(out.output, 40))),
  ];
  if (out.timedOut) {
    return {
      ok: false,
      message: `The check's own command ${shown} did not finish within ${seconds(ctx.timeoutMs)}, so it was stopped.`,
      hint: 'Run it yourself in the terminal to see where it waits.',
      evidence,
    };
  }
  if (out.code !== spec.exit) {
    // bash's own statuses: 127, a program it was asked to run is not there (diagnosis names it
    // from the output); 130 or SIGINT, stopped with Ctrl-C.
    if (out.code === 127) {
      return {
        ok: false,
        message: `The check's own command ${shown} could not run: a program it calls is not installed (exit status 127).`,
        hint: 'Its output below names the program that is missing.',
        evidence,
      };
    }
    if (out.code === 130 || out.signal === 'SIGINT') {
      return {
        ok: false,
        message: `The check's own command ${shown} was interrupted (Ctrl-C) before it finished.`,
        hint: 'Press Check again to run it to its end.',
        evidence,
      };
    }
    const how = out.code === null ? `was ended by the signal ${out.signal}` : `ended with exit status ${out.code}`;
    return {
      ok: false,
      message: `The check ran its own command ${shown}, which ${how}; the step expects ${spec.exit}.`,
      hint: out.output.trim()
        ? 'Read its output below, and run the step again.'
        : 'It printed nothing that says why; run it in the terminal yourself to see what it does.',
      evidence,
    };
  }
  if (spec.output !== undefined && !new RegExp(spec.output, 'm').test(out.output)) {
    return {
      ok: false,
      message: `The check ran its own command ${shown}, but its output does not show what the step expects (/${spec.output}/).`,
      hint: 'Compare its output below with the step, and run the step again.',
      evidence,
    };
  }
  if (spec.notOutput !== undefined) {
    const m = new RegExp(spec.notOutput, 'm').exec(out.output);
    if (m) {
      return {
        ok: false,
        message: `The check ran its own command ${shown}, but its output shows "${m[0].trim()}", which means the step has not worked yet.`,
        hint: 'Read its output below, fix what it names, and run the step again.',
        evidence,
      };
    }
  }
  return { ok: true, message: `The check ran its own command ${shown}, and it ended as the step expects.`, evidence };
}

export const commandModule: ProbeModule<typeof commandProbe> = { kind: 'command', schema: commandProbe, defaultTimeout: 60, run };
