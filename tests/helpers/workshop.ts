import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { main as workshop } from '../../server/cli/workshop.ts';
import { runMain } from './cli.ts';

/** What `npm run workshop -- up` left in its state folder (server/cli/workshop/hub.ts). */
export interface Hub {
  stateDir: string;
  name: string;
  url: string;
  port: number;
  cliToken: string;
  accounts: Map<string, string>;
}

/** Runs the workshop command in this process; resolves with its exit status and output. */
export const runWorkshop = (args: string[]) => runMain(workshop, args);

/** The hub `up` started in `stateDir`, with the accounts it printed. */
export function hubFrom(stateDir: string, printed: string): Hub {
  const state = JSON.parse(readFileSync(join(stateDir, 'workshop.json'), 'utf8')) as {
    name: string;
    url: string;
    port: number;
    cliToken: string;
  };
  const accounts = new Map([...printed.matchAll(/^ {2}(learner-\d+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));
  return { stateDir, name: state.name, url: state.url, port: state.port, cliToken: state.cliToken, accounts };
}

/** A call to the hub's REST API with the command line's token. */
export async function hubApi(hub: Hub, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${hub.url}hub/api/${path}`, { method, headers: { Authorization: `token ${hub.cliToken}` } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** The state of a learner's server as the hub sees it: "running", "pending" or "stopped". */
export async function serverState(hub: Hub, learner: string): Promise<'running' | 'pending' | 'stopped'> {
  const { body } = await hubApi(hub, 'GET', `users/${learner}`);
  const u = body as { servers?: Record<string, { ready?: boolean; pending?: string | null }> };
  const s = u.servers?.[''];
  if (!s) return 'stopped';
  return s.ready && !s.pending ? 'running' : 'pending';
}

/** Runs `docker` with these arguments; resolves with its exit status and output. */
export function docker(args: string[], input?: string, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The names of the containers (running or not) that carry the workshop's label. */
export async function workshopContainers(name: string): Promise<string[]> {
  const r = await docker(['ps', '-a', '--filter', `label=tutorial.workshop=${name}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** Logs in through the hub's own login page, as a learner would. */
export async function logIn(context: BrowserContext, hub: Hub, learner: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${hub.url}hub/login`, { timeout: 60_000 });
  await page.fill('input[name=username]', learner);
  await page.fill('input[name=password]', hub.accounts.get(learner) ?? '');
  await page.click('[type=submit]');
  // The hub spawns the workspace and then sends the learner to its default page, the tutorial.
  await page.waitForURL(new RegExp(`/user/${learner}/tutorial/`), { timeout: 240_000 });
  return page;
}

/** Opens a chapter of the learner's own tutorial and waits until its terminal is attached. */
export async function openChapter(page: Page, hub: Hub, learner: string, chapter = 'hello-terminal'): Promise<void> {
  // The first request after a workspace starts waits for the tutorial to build its site.
  await page.goto(`${hub.url}user/${learner}/tutorial/chapters/${chapter}/`, { timeout: 300_000 });
  await page.locator('.terminal-dock__status', { hasText: 'Connected' }).waitFor({ timeout: 120_000 });
  await page.locator('.terminal-dock[data-attached="true"]').waitFor({ timeout: 60_000 });
}

/** The status of a websocket upgrade request made without a browser (101 when accepted). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Memory in use by a container now (cgroup v1 or v2), in MiB, for the report (never asserted). */
export async function memoryMiB(container: string): Promise<number | undefined> {
  const r = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', container]);
  const m = /^([\d.]+)(KiB|MiB|GiB)/.exec(r.stdout.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'GiB' ? n * 1024 : m[2] === 'KiB' ? n / 1024 : n);
}

// --- Each learner's own network and stack (issue 24, items 1 and 4) ------------------------------

/** `docker` against a learner's own engine, run by the learner in their workspace. */
export function learnerDocker(workspace: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // As the learner, in their workspace: its DOCKER_HOST is their engine's socket (rootless by
  // default, where a client inside the engine's own container is not the way in).
  return docker(['exec', '-u', 'learner', workspace, 'docker', ...args]);
}

/**
 * Puts images from this machine's engine into a learner's engine (`docker save | docker load`):
 * for the test's own images (busybox), which are not the stack's; the stack's come from the
 * image seed that workshop mode loads into every engine (server/cli/workshop/seed.ts).
 */
export function seedEngineByHand(workspace: string, images: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const save = execFile('docker', ['save', ...images], { encoding: 'buffer', maxBuffer: 1 << 30 });
    const load = execFile('docker', ['exec', '-i', '-u', 'learner', workspace, 'docker', 'load', '-q'], (err, _out, stderr) =>
      err ? reject(new Error(`loading ${images.join(', ')} into ${workspace}'s engine failed: ${stderr}`)) : resolve(),
    );
    save.stdout?.pipe(load.stdin!);
    save.on('error', reject);
  });
}

/** A workspace container's address on its own network. */
export async function workspaceIp(workspace: string): Promise<string> {
  const r = await docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', workspace]);
  return r.stdout.trim().split(/\s+/)[0] ?? '';
}

/**
 * What a TCP connection from inside a workspace (as the learner) to host:port gets within 3 s:
 * "connected", or the error's name. Nothing is sent.
 */
export async function connectFrom(workspace: string, host: string, port: number): Promise<string> {
  const py = `import socket\ns=socket.socket()\ns.settimeout(3)\ntry:\n s.connect((${JSON.stringify(host)},${port})); print('connected')\nexcept OSError as e: print(type(e).__name__)`;
  return (await docker(['exec', '-u', 'learner', workspace, 'python3', '-c', py])).stdout.trim();
}

/** An HTTP GET from inside a workspace (as the learner): the status and the body, or the error's name. */
export async function getFrom(workspace: string, url: string): Promise<string> {
  const py = `import urllib.request as u\ntry:\n r=u.urlopen(${JSON.stringify(url)},timeout=5); print(r.status, r.read().decode()[:4000])\nexcept u.HTTPError as e: print(e.code)\nexcept OSError as e: print(type(getattr(e,'reason',e)).__name__)`;
  return (await docker(['exec', '-u', 'learner', workspace, 'python3', '-c', py])).stdout.trim();
}
