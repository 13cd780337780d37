import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startTutorialServer } from '../app.ts';
import { defaultStateDir, defaultWorkspace } from '../paths.ts';
import { diskFullMessage, isDiskFull } from '../private-fs.ts';
import { chooseShell, ShellChoiceError, type ShellName } from '../terminal/shell-choice.ts';
import { isLoopback } from '../web/security.ts';
import { buildIfNeeded } from './build.ts';
import { exitWhenAsked, whenParentEnds } from './shutdown.ts';

const USAGE = `Usage: npm start -- [--port N] [--host H --i-know-this-is-public] [--workspace DIR] [--state DIR] [--shell bash|zsh] [--rebuild]
       npm start -- --socket PATH [--base PATH] [--workspace DIR] [--state DIR] [--rebuild]

Serves the tutorial and its terminals on one port (default http://127.0.0.1:4321), and prints the
one-time link that signs your browser in.
  --port N          port to listen on (default: $PORT or 4321)
  --host H          address to listen on (default 127.0.0.1); an address other machines reach
                    also needs --i-know-this-is-public
  --i-know-this-is-public
                    accept that whoever gets the login link, or the session cookie that plain
                    http carries over the network, gets a shell on this machine as you
  --workspace DIR   the folder where the chapters' commands run (default .state/workspace)
  --state DIR       where progress is kept (default .state)
  --idle-minutes N  end a chapter's shell after N minutes with no page open (default 30)
  --shell bash|zsh  the terminals' shell (default: yours when $SHELL is zsh, else bash); it
                    loads your own ~/.bashrc or ~/.zshrc
  --rebuild         build the site even when it looks up to date
  --socket PATH     listen on this Unix socket instead of a port (workshop mode, behind
                    jupyter-server-proxy, whose login lets the learner in: no login link, no
                    cookie, any Host); the socket's folder must be yours alone (0700)
  --base PATH       the path a proxy serves the site under, e.g. /user/ada/tutorial/ (default /);
                    the site is built for it`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'i-know-this-is-public': { type: 'boolean', default: false },
      workspace: { type: 'string' },
      state: { type: 'string' },
      'idle-minutes': { type: 'string' },
      shell: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      socket: { type: 'string' },
      base: { type: 'string', default: '/' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(process.argv.slice(2).filter((a) => a !== 'start')));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.socket !== undefined && (values.host !== undefined || values.port !== undefined || values['i-know-this-is-public'])) {
    console.error(`--socket listens on a Unix socket instead of a port: leave out --host, --port and --i-know-this-is-public.\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.socket === '') {
    console.error(`--socket needs the path of the socket, e.g. --socket /tmp/tutorial-$(id -u)/tutorial.sock.`);
    process.exit(2);
  }
  const socket = values.socket;
  const port = socket ? 0 : Number(values.port ?? process.env.PORT ?? 4321);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`"${values.port ?? process.env.PORT}" is not a port number. Pass one from 1 to 65535, e.g. --port 4322.`);
    process.exit(2);
  }
  const host = values.host ?? '127.0.0.1';
  // A Unix socket is reached through the file system, not the network (its folder's permissions).
  const isPublic = !socket && !isLoopback(host);
  if (isPublic && !values['i-know-this-is-public']) {
    console.error(
      `Listening on ${host} lets other machines reach a shell on this one, as ${userInfo().username}. If that is what you want, say so: npm start -- --host ${host} --i-know-this-is-public`,
    );
    process.exit(2);
  }
  if (isPublic) {
    console.warn(
      `Listening on ${host}: other machines can reach this server. Whoever gets the login link gets a shell here as ${userInfo().username}, and after signing in the session cookie travels over the network in clear text (plain http), where anyone on the way can copy it and get the same shell. Use this only on a network you trust, and stop the server when you are done.`,
    );
  }
  const stateDir = values.state ?? defaultStateDir();
  const env = values.state ? { ...process.env, TUTORIAL_STATE_DIR: values.state } : process.env;
  const workspace = values.workspace ?? defaultWorkspace(env);
  const idleMinutes = Number(values['idle-minutes'] ?? 30);
  // Not a number would mean "never" and 0 would end a shell during a page reload.
  if (!Number.isFinite(idleMinutes) || idleMinutes <= 0) {
    console.error(
      `"${values['idle-minutes']}" is not a number of minutes. Pass a positive number, e.g. --idle-minutes 30 to end a chapter's shell 30 minutes after its last page closed.`,
    );
    process.exit(2);
  }

  let shell: ShellName;
  try {
    shell = chooseShell(values.shell);
  } catch (err) {
    if (!(err instanceof ShellChoiceError)) throw err;
    console.error(err.message);
    process.exit(2);
  }

  const base = values.base.replace(/^\/?/, '/').replace(/\/?$/, '/');
  if (!/^[A-Za-z0-9._~%@!$&'()*+,;=:/-]+$/.test(base) || base.includes('//') || base.split('/').some((p) => p === '..' || p === '.')) {
    console.error(`"${values.base}" is not a URL path. Pass one such as --base /user/ada/tutorial/.`);
    process.exit(2);
  }

  await buildIfNeeded(values.rebuild, () => console.log('Building the site (once, and again when chapters change)…'), base);
  let server: Awaited<ReturnType<typeof startTutorialServer>>;
  try {
    server = await startTutorialServer({ host, port, socket, base, workspace, stateDir, shell, idleGraceMs: idleMinutes * 60_000 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && socket) {
      console.error(`A server already answers on ${socket}. Stop it, or start this one with another --socket PATH.`);
      process.exit(1);
    }
    if (code === 'EADDRINUSE') {
      console.error(`Port ${port} on ${host} is already in use. Start on another port with: npm start -- --port ${port + 1}`);
      process.exit(1);
    }
    if (isDiskFull(err)) {
      // Node's own text ("ENOSPC: no space left on device, write") names neither the folder nor the way out.
      const e = err as NodeJS.ErrnoException & { dest?: string };
      const where = e.dest ?? e.path;
      console.error(
        diskFullMessage(
          where ? dirname(where) : stateDir,
          'the tutorial server could not start (it writes its lock, progress and shell files there)',
        ),
      );
      process.exit(1);
    }
    if (code === 'EACCES') {
      console.error(`Port ${port} on ${host} needs privileges this user lacks. Start on a port above 1024, e.g.: npm start -- --port 4321`);
      process.exit(1);
    }
    throw err;
  }
  console.log(`The tutorial is ready at ${server.url}`);
  const loginUrl = server.loginUrl?.();
  if (!loginUrl) {
    console.log(`It serves jupyter-server-proxy at ${base}: Jupyter's login lets the learner in (no login link here).`);
  } else {
    console.log('Open this link to sign your browser in (it works once; reloads and restarts need nothing more):');
    console.log(`\n    ${loginUrl}\n`);
  }
  if (loginUrl && isPublic) {
    const key = new URL(loginUrl).search;
    const others = server.hosts.filter((h) => !h.startsWith('localhost:') && !server.url.includes(`//${h}/`));
    if (others.length) {
      console.log(`From another machine, the same link (it still works once) on an address of this one:`);
      console.log(`${others.map((h) => `    http://${h}${base}login${key}`).join('\n')}\n`);
    }
  }
  console.log(`Workspace: ${workspace}`);
  console.log('Press Ctrl-C to stop it (every shell it started ends too).');

  const stop = exitWhenAsked({ close: () => server.close(), closeSync: () => server.sessions.closeAllSync() }, (signal) =>
    console.log(`\nStopping (${signal})…`),
  );
  // What IDE stop buttons, process managers and a closing terminal send. `npm start` runs this
  // program with `exec` (package.json), so npm's child is this process and npm passes SIGINT and
  // SIGTERM on to it; npm does not pass SIGHUP on and dies of it, so an ended parent stops the
  // server as well.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  whenParentEnds(() => stop('the program that started the server has ended'));
  process.on('exit', () => server.sessions.closeAllSync());
}

main().catch((err: unknown) => {
  console.error((err as Error).message ?? err);
  process.exit(1);
});
