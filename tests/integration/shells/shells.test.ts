import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage, StepProgress } from '../../../protocol/messages.ts';
import { main } from '../../../server/cli/tutorial.ts';
import { hasWheelhouse, testEnv } from '../../helpers/env.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';
import { CASES } from './cases.ts';
import { caseEnv, MACHINERY } from './harness.ts';

/**
 * The tutorial's terminals in the shells learners have (tests/integration/shells/cases.ts): for
 * each shell and rc, the real server with the real chapters, a page over a real websocket, and
 * the headless `verify`, all with that rc as the learner's. Nothing of the tutorial's machinery
 * may show in the terminal.
 */

type Refused = Extract<ServerMessage, { type: 'run-refused' }>;
type CatchUp = Extract<ServerMessage, { type: 'catch-up' }>;
const ci = Boolean(process.env.CI);
const WORKSPACE = mkdtempSync(join(tmpdir(), '22-shells-workspace-'));
afterAll(() => rmSync(WORKSPACE, { recursive: true, force: true }));
/** pip's install of the workspace's requirements from the wheelhouse: minutes on a busy machine. */
const CATCH_UP_MS = 480_000;

for (const c of CASES) {
  const why = c.missing?.();
  if (why && !ci) console.warn(`!!! SKIPPED shells: ${c.name}: ${why}`);

  describe.skipIf(Boolean(why) && !ci)(c.name, () => {
    let server: TestServer;
    let client: TestClient;
    let env: ReturnType<typeof caseEnv>;
    /** What the shell printed before the page attached (the rc's banner, the tutorial's notices). */
    let replay = '';
    const session = () => server.sessions.get('hello-terminal')!;
    const progress = (step: string, from: number, done: (p: StepProgress) => boolean) =>
      client.waitFor(
        (m): m is Extract<ServerMessage, { type: 'step-progress' }> => m.type === 'step-progress' && m.step === step && done(m.progress),
        `${step} to settle`,
        from,
        60_000,
      );
    const run = async (extra: { clear?: boolean } = {}) => {
      const from = client.messages.length;
      client.send({ type: 'run', chapter: 'hello-terminal', step: 'say-hello', index: 0, ...extra });
      return { from, settled: () => progress('say-hello', from, (p) => p.state !== 'running').then((m) => m.progress) };
    };
    const refused = (from: number) => client.waitFor((m): m is Refused => m.type === 'run-refused', 'the refusal', from, 30_000);
    const emptyLine = () =>
      pollUntil(async () => ((await session().lineState()).kind === 'empty' ? true : undefined), 'an empty prompt line', 30_000);

    beforeAll(async () => {
      env = caseEnv(c);
      // One workspace for every case, emptied but for the .venv the first catch-up makes (pip's
      // install is what takes minutes); each case gets its own server and state.
      for (const f of readdirSync(WORKSPACE)) if (f !== '.venv') rmSync(join(WORKSPACE, f), { recursive: true, force: true });
      server = await startTestServer({ workspace: WORKSPACE, shell: c.shell });
      client = await TestClient.open(server);
      replay = (await client.attach('hello-terminal')).replay;
    });
    afterAll(async () => {
      await client?.close();
      await server?.dispose();
      env?.restore();
    });

    if (c.reports === 'no') {
      it('Run types the command, says once that the shell does not report, and never asks to press Run again', async () => {
        const first = await run();
        const p = await first.settled();
        expect(p.state).toBe('in-progress');
        expect(p.result?.message).toMatch(/does not tell the tutorial when a command starts or ends.*Press Check when it has finished/);
        await pollUntil(
          () => (existsSync(join(server.workspace, 'hello.txt')) ? true : undefined),
          'hello.txt, written by the typed command',
        );
        const again = await run();
        expect((await again.settled()).result?.message).not.toMatch(/Press Run again in a moment/);
        expect(client.messages.some((m) => m.type === 'run-refused')).toBe(false);
      });
      return;
    }

    it("say-hello's Run passes, and nothing of the integration shows in the terminal", async () => {
      await emptyLine();
      const r = await run();
      const p = await r.settled();
      expect(p.result?.message, JSON.stringify(p)).toBeDefined();
      expect(p.state, JSON.stringify(p.result)).toBe('passed');
      expect(readFileSync(join(server.workspace, 'hello.txt'), 'utf8')).toContain('hello from the tutorial');
      expect(replay + client.text()).not.toMatch(MACHINERY);
      // The learner's own hooks ran too.
      for (const [file, pattern] of Object.entries(c.keeps?.files ?? {}))
        expect(readFileSync(join(env.home, file), 'utf8')).toMatch(pattern);
      if (c.keeps?.terminal) expect(replay + client.text()).toMatch(c.keeps.terminal);
      if (c.rc === 'pyenv-stale-lock') expect(existsSync(join(env.home, '.pyenv', 'shims', '.pyenv-shim'))).toBe(false);
    });

    it('refuses a Run onto typed-ahead text, and "Clear the line and run" runs it', async () => {
      await emptyLine();
      client.mark();
      client.input('echo typed-ahead');
      // zsh's highlighting redraws the line key by key: wait until the shell's line holds it all.
      await pollUntil(async () => {
        const line = await session().lineState();
        return line.kind === 'text' && line.text.endsWith('typed-ahead') ? true : undefined;
      }, 'the typed text on the prompt line');
      const r = await run();
      const refusal = await refused(r.from);
      expect(refusal).toMatchObject({ reason: 'text', clear: 'Clear the line and run' });
      expect(refusal.line).toContain('echo typed-ahead');
      const again = await run({ clear: true });
      expect((await again.settled()).state).toBe('passed');
    });

    it('refuses a Run while a command runs, and "Interrupt it and run" stops it with Ctrl-C and runs', async () => {
      await emptyLine();
      client.input('sleep 30\r');
      await pollUntil(async () => ((await session().lineState()).kind === 'busy' ? true : undefined), 'sleep to run');
      const r = await run();
      expect(await refused(r.from)).toMatchObject({ reason: 'busy', clear: 'Interrupt it and run' });
      const again = await run({ clear: true });
      expect((await again.settled()).state).toBe('passed');
    });

    it('after a reload (a new page on the same shell) Run still passes', async () => {
      const shell = session().id;
      await client.close();
      client = await TestClient.open(server);
      const attached = await client.attach('hello-terminal');
      expect(attached.shell).toBe(shell);
      await emptyLine();
      const r = await run();
      expect((await r.settled()).state).toBe('passed');
      expect(client.text()).not.toMatch(MACHINERY);
    });

    it.skipIf(!hasWheelhouse() && !ci)(
      `catches up "Version your data with DVC" (needs the wheelhouse at ${testEnv.wheelhouse})`,
      async () => {
        await client.attach('data-versioning');
        const from = client.messages.length;
        client.send({ type: 'catch-up', chapter: 'data-versioning', upTo: 'init-repos' });
        const end = await client.waitFor(
          (m): m is CatchUp => m.type === 'catch-up' && m.state !== 'running',
          'the end of the catch-up',
          from,
          CATCH_UP_MS,
        );
        expect(end, JSON.stringify(client.messages.slice(from).filter((m) => m.type === 'step-progress'))).toMatchObject({
          state: 'passed',
        });
        // The chapter's shell has the workspace's virtualenv (made by this catch-up, or by an
        // earlier case's) active.
        expect(await client.run('echo "[$VIRTUAL_ENV]"')).toContain(`[${join(WORKSPACE, '.venv')}]`);
      },
      CATCH_UP_MS + 10_000,
    );

    it.skipIf(!hasWheelhouse() && !ci)('`npm run tutorial -- verify` passes hello-terminal and python-logging', async () => {
      for (const chapter of ['hello-terminal', 'python-logging']) {
        const state = mkdtempSync(join(tmpdir(), '22-shells-verify-'));
        let out = '';
        try {
          const code = await main(
            // python-logging in the workspace whose .venv the catch-up made (its need of it holds
            // already); hello-terminal in a fresh one (the Runs above wrote its hello.txt).
            ['verify', chapter, '--state', state, ...(chapter === 'python-logging' ? ['--workspace', WORKSPACE] : []), '--json'],
            (s) => {
              out += s;
            },
            () => {},
          );
          const report = JSON.parse(out) as { ok: boolean; shell?: string; steps: { outcome: string }[] };
          expect(
            report.steps.find((s) => s.outcome !== 'passed'),
            out,
          ).toBeUndefined();
          expect(code).toBe(0);
        } finally {
          rmSync(state, { recursive: true, force: true });
        }
      }
    });
  });
}
