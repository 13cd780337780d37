import { parseArgs } from 'node:util';
import { startTutorialServer } from '../app.ts';
import { defaultStateDir, defaultWorkspace } from '../paths.ts';
import { buildIfNeeded } from './build.ts';
import { exitWhenAsked } from './shutdown.ts';

const USAGE = `Usage: npm start -- [--port N] [--host H] [--workspace DIR] [--state DIR] [--rebuild]

Serves the tutorial and its terminals on one port (default http://127.0.0.1:4321).
  --port N          port to listen on (default: $PORT or 4321)
  --host H          address to listen on (default 127.0.0.1; anything else lets other machines in)
  --workspace DIR   the folder where the chapters' commands run (default .state/workspace)
  --state DIR       where progress is kept (default .state)
  --idle-minutes N  end a chapter's shell after N minutes with no page open (default 30)
  --rebuild         build the site even when it looks up to date
  --socket PATH     listen on this Unix socket instead of a port, behind jupyter-server-proxy
                    (workshop mode: any Host is accepted, the socket's folder must be private)
  --base PATH       the path a proxy serves the site under and strips before forwarding, e.g.
                    /user/ada/tutorial/ (default /); the site is built for it`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      workspace: { type: 'string' },
      state: { type: 'string' },
      'idle-minutes': { type: 'string' },
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
  const port = Number(values.port ?? process.env.PORT ?? 4321);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`"${values.port ?? process.env.PORT}" is not a port number. Pass one from 1 to 65535, e.g. --port 4322.`);
    process.exit(2);
  }
  const host = values.host;
  if (!values.socket && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    console.warn(
      `Warning: listening on ${host} lets other machines reach a page that types into your shell. They still need the token in the page, but use this only on a network you trust.`,
    );
  }
  const stateDir = values.state ?? defaultStateDir();
  const env = values.state ? { ...process.env, TUTORIAL_STATE_DIR: values.state } : process.env;
  const workspace = values.workspace ?? defaultWorkspace(env);
  const idleMinutes = Number(values['idle-minutes'] ?? 30);

  const base = values.base.replace(/^\/?/, '/').replace(/\/?$/, '/');
  if (!/^[A-Za-z0-9._~%@!$&'()*+,;=:/-]+$/.test(base) || base.split('/').some((p) => p === '..' || p === '.')) {
    console.error(`"${values.base}" is not a URL path. Pass one such as --base /user/ada/tutorial/.`);
    process.exit(2);
  }
  await buildIfNeeded(values.rebuild, () => console.log('Building the site (once, and again when chapters change)…'), base);
  let server: Awaited<ReturnType<typeof startTutorialServer>>;
  try {
    server = await startTutorialServer({ host, port, socket: values.socket, workspace, stateDir, idleGraceMs: idleMinutes * 60_000 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && values.socket) {
      console.error(`${values.socket} already exists. Remove it if no tutorial server listens on it, then start again.`);
      process.exit(1);
    }
    if (code === 'EADDRINUSE') {
      console.error(`Port ${port} on ${host} is already in use. Start on another port with: npm start -- --port ${port + 1}`);
      process.exit(1);
    }
    if (code === 'EACCES') {
      console.error(`Port ${port} on ${host} needs privileges this user lacks. Start on a port above 1024, e.g.: npm start -- --port 4321`);
      process.exit(1);
    }
    throw err;
  }
  console.log(`The tutorial is ready at ${server.url}`);
  console.log(`Workspace: ${workspace}`);
  console.log('Press Ctrl-C to stop it (every shell it started ends too).');

  const stop = exitWhenAsked({ close: () => server.close(), closeSync: () => server.sessions.closeAllSync() }, (signal) =>
    console.log(`\nStopping (${signal})…`),
  );
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  process.on('exit', () => server.sessions.closeAllSync());
}

main().catch((err: unknown) => {
  console.error((err as Error).message ?? err);
  process.exit(1);
});
