/**
 * Workshop mode for real (docs/workshop.md): `npm run workshop -- up` starts JupyterHub with
 * DockerSpawner on this machine's Docker engine, and two learners use it in Chromium. Nothing is
 * faked: the hub, configurable-http-proxy, the workspace containers, jupyter-server-proxy, the
 * tutorial server and each learner's Docker-in-Docker engine are the ones a class would get.
 * The workspace image is built FROM the official base image's name; where no registry is
 * reachable that name is a local Debian 12 stand-in (tests/services/debian-base.sh).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../../server/cli/workshop/image.ts';
import { stackImages } from '../../server/cli/workshop/seed.ts';
import { chromiumLaunch } from '../helpers/env.ts';
import { pollUntil } from '../helpers/net.ts';
import {
  connectFrom,
  docker,
  getFrom,
  type Hub,
  hubApi,
  hubFrom,
  learnerDocker,
  logIn,
  memoryMiB,
  openChapter,
  runWorkshop,
  seedEngineByHand,
  serverState,
  upgradeStatus,
  workshopContainers,
  workspaceIp,
} from '../helpers/workshop.ts';

const SOCKET = '/tmp/tutorial-1000/tutorial.sock';
const say = (line: string) => process.stdout.write(`workshop: ${line}\n`);
const step = (page: Page, id: string) => page.locator(`.tutorial-step[data-step="${id}"]`);

describe('a class of two on one machine: JupyterHub, DockerSpawner, a Docker engine, Chromium', () => {
  const name = `wstest-${randomBytes(3).toString('hex')}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'workshop-test-'));
  let upOutput = '';
  let hub: Hub;
  let browser: Browser;
  const contexts = new Map<string, BrowserContext>();
  const pages = new Map<string, Page>();
  const container = (learner: string) => `${name}-${learner}`;
  const LEARNERS = ['learner-1', 'learner-2'];
  /** `docker compose -f compose/docker-compose.yml …` as the learner, in their workspace. */
  const compose = (learner: string, args: string[], timeoutMs: number) =>
    docker(
      [
        'exec',
        '-u',
        'learner',
        '-w',
        '/home/learner/workspace',
        container(learner),
        'docker',
        'compose',
        '-f',
        'compose/docker-compose.yml',
        ...args,
      ],
      undefined,
      timeoutMs,
    );
  /** Each learner's Elasticsearch node name (its container's id in the learner's engine). */
  const esNode = new Map<string, string>();

  beforeAll(async () => {
    const base = await docker(['image', 'inspect', '--format', '{{index .Config.Labels "tutorial.stand-in"}}', BASE_IMAGE]);
    if (base.stdout.trim() && base.stdout.trim() !== '<no value>') {
      say(
        `the workspace image is built FROM ${BASE_IMAGE}, here a local stand-in (${base.stdout.trim()}); a real machine pulls the official image`,
      );
    }
    const up = await runWorkshop(['up', '--learners', '2', '--state', stateDir, '--name', name, '--mem-limit', '2G', '--team-stack']);
    upOutput = up.out;
    for (const line of up.out.split('\n'))
      if (/^(Built|Building|Installing|Removed|Images for|Saved|The image seed|Fetched|Not available)/.test(line)) say(line);
    expect(up.err, up.out).not.toMatch(/failed|error/i);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    hub = hubFrom(stateDir, up.out);
    browser = await chromium.launch(chromiumLaunch);
  });

  afterAll(async () => {
    await browser?.close();
    const down = await runWorkshop(['down', '--volumes', '--state', stateDir, '--name', name]);
    if (down.code !== 0) say(`down failed: ${down.err}`);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('up prints the hub address and one "learner-K <password>" line per learner', () => {
    expect(upOutput).toContain(`The workshop hub is ready at ${hub.url}`);
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect([...hub.accounts.keys()]).toEqual(['learner-1', 'learner-2']);
    for (const password of hub.accounts.values()) expect(password.length).toBeGreaterThanOrEqual(12);
  });

  it("each learner logs in through the hub's login page, reaches their own tutorial and passes the warm-up's first step", async () => {
    for (const learner of ['learner-1', 'learner-2']) {
      const context = await browser.newContext();
      contexts.set(learner, context);
      const page = await logIn(context, hub, learner);
      pages.set(learner, page);
      await openChapter(page, hub, learner);
      await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
      await step(page, 'say-hello').and(page.locator('[data-state="passed"]')).waitFor({ timeout: 60_000 });
      await page.locator('.chapter-bar__count', { hasText: '1 of 3 steps passed' }).waitFor();
    }
    const memory = await Promise.all(['learner-1', 'learner-2'].map((l) => memoryMiB(container(l))));
    const engines = await Promise.all(['learner-1', 'learner-2'].map((l) => memoryMiB(`${container(l)}-engine`)));
    say(`memory with the tutorial open: workspaces ${memory.join(', ')} MiB; engines ${engines.join(', ')} MiB (docker stats)`);
  });

  it("learner 2 cannot open learner 1's tutorial or terminal: by URL", async () => {
    const page = await contexts.get('learner-2')!.newPage();
    const res = await page.goto(`${hub.url}user/learner-1/tutorial/chapters/hello-terminal/`);
    expect(res?.status()).toBe(403);
    expect(page.url()).not.toContain('/user/learner-1/tutorial/chapters');
    expect(await page.locator('meta[name="tutorial-token"]').count()).toBe(0);
    expect(await page.locator('.terminal-dock').count()).toBe(0);
    await page.close();
  });

  it("learner 2 cannot open learner 1's terminal: by websocket, even with the token of learner 1's page", async () => {
    const token = await pages.get('learner-1')!.locator('meta[name="tutorial-token"]').getAttribute('content');
    expect(token).toBeTruthy();
    const wsUrl = `${hub.url.replace(/^http/, 'ws')}user/learner-1/tutorial/ws?token=${encodeURIComponent(token!)}`;
    // From learner 2's own page: same origin as the hub, learner 2's cookies.
    const outcome = await pages.get('learner-2')!.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
          ws.onclose = () => resolve('refused');
        }),
      wsUrl,
    );
    expect(outcome).toBe('refused');
    // Without a browser: no login, the right Origin and the token.
    const origin = hub.url.replace(/\/$/, '');
    expect(await upgradeStatus(`${hub.url}user/learner-1/tutorial/ws?token=${encodeURIComponent(token!)}`, { Origin: origin })).toBe(403);
    // Learner 1's own page still has its terminal.
    expect(await pages.get('learner-1')!.locator('.terminal-dock__status').textContent()).toBe('Connected');
  });

  it("learner 2 cannot open learner 1's terminal: by the Unix socket or the single-user server's port", async () => {
    // The socket is in learner 1's container only: learner 2's container has no way to its file.
    const merged = (await docker(['inspect', '--format', '{{.GraphDriver.Data.MergedDir}}', container('learner-1')])).stdout.trim();
    const probe = (path: string) =>
      `import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(${JSON.stringify(path)}); print('connected')\nexcept OSError as e: print(type(e).__name__)`;
    expect(merged).toMatch(/^\//);
    // (Its path on the host is too long for connect(); stat says whether it is there at all.)
    const stat = (path: string) =>
      `import os\ntry:\n os.stat(${JSON.stringify(path)}); print('found')\nexcept OSError as e: print(type(e).__name__)`;
    const fromLearner2 = await docker(['exec', '-u', 'learner', container('learner-2'), 'python3', '-c', stat(`${merged}${SOCKET}`)]);
    expect(fromLearner2.stdout.trim()).toBe('FileNotFoundError');
    // What learner 2 finds at that path in their own container is their own tutorial: its pages
    // carry another token than learner 1's.
    const token1 = await pages.get('learner-1')!.locator('meta[name="tutorial-token"]').getAttribute('content');
    const page = `import socket\ns=socket.socket(socket.AF_UNIX)\ns.connect(${JSON.stringify(SOCKET)})\ns.sendall(b'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n')\nd=b''\nwhile True:\n c=s.recv(65536)\n if not c: break\n d+=c\nt=d.decode()\nprint('tutorial-token' in t, ${JSON.stringify(token1)} in t)`;
    const own = await docker(['exec', '-u', 'learner', container('learner-2'), 'python3', '-c', page]);
    expect(own.stdout.trim()).toBe('True False');
    // Inside learner 1's container the socket is the learner's own (folder 0700, socket 0600):
    // another user there cannot connect.
    const asNobody = await docker(['exec', '-u', '65534', container('learner-1'), 'python3', '-c', probe(SOCKET)]);
    expect(asNobody.stdout.trim()).toBe('PermissionError');
    const asLearner1 = await docker(['exec', '-u', 'learner', container('learner-1'), 'python3', '-c', probe(SOCKET)]);
    expect(asLearner1.stdout.trim()).toBe('connected');
    // Each workspace is on a network of its own: the hub (on the host) reaches learner 1's Jupyter
    // server at its address, learner 2's container does not reach it at all.
    const env = (await docker(['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', container('learner-1')])).stdout;
    const serviceUrl = /^JUPYTERHUB_SERVICE_URL=(.+)$/m.exec(env)?.[1];
    const ip1 = await workspaceIp(container('learner-1'));
    expect(serviceUrl).toMatch(/:8888\/user\/learner-1\/$/);
    expect((await fetch(`http://${ip1}:8888/user/learner-1/api`)).status).toBe(200);
    expect(await connectFrom(container('learner-2'), ip1, 8888)).not.toBe('connected');
  });

  it('each learner brings Elasticsearch and Kibana up in their own engine, on the same published ports', async () => {
    const version = /^ELASTIC_VERSION=(\S+)$/m.exec(readFileSync('compose/.env', 'utf8'))?.[1];
    // The stack's images are in every learner's engine from the image seed (`up` saved them, the
    // engine loaded them at its first start); only the test's own busybox is loaded here.
    for (const l of LEARNERS) {
      const present = (await learnerDocker(container(l), ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout;
      expect(present).toContain(`docker.elastic.co/elasticsearch/elasticsearch:${version}`);
      expect(present).toContain(`docker.elastic.co/kibana/kibana:${version}`);
    }
    await Promise.all(LEARNERS.map((l) => seedEngineByHand(container(l), ['tutorial-test/busybox:1'])));
    // `up` returns once Elasticsearch is healthy (Kibana waits for it); both at once.
    const ups = await Promise.all(LEARNERS.map((l) => compose(l, ['up', '-d', '--no-build', 'elasticsearch', 'kibana'], 300_000)));
    for (const up of ups) expect(up.code, up.stderr).toBe(0);
    for (const l of LEARNERS) {
      const ports = await learnerDocker(container(l), ['ps', '--format', '{{.Ports}}']);
      expect(ports.stdout).toContain('127.0.0.1:9200->9200/tcp');
      expect(ports.stdout).toContain('127.0.0.1:5601->5601/tcp');
      // The learner's 127.0.0.1:9200 is their own Elasticsearch: its node is named after its container.
      const id = (
        await learnerDocker(container(l), ['ps', '-q', '--filter', 'label=com.docker.compose.service=elasticsearch'])
      ).stdout.trim();
      esNode.set(l, id);
      await pollUntil(
        async () => (/^200 /.test(await getFrom(container(l), 'http://127.0.0.1:5601/api/status')) ? true : undefined),
        `${l}'s Kibana (after Elasticsearch)`,
        180_000,
        1000,
      );
      expect(await getFrom(container(l), 'http://127.0.0.1:9200/')).toMatch(new RegExp(`"name"\\s*:\\s*"${id}"`));
    }
    expect(esNode.get('learner-1')).not.toBe(esNode.get('learner-2'));
  });

  it('each learner passes a stack step against their own Elasticsearch, in Chromium', async () => {
    for (const l of LEARNERS) {
      const page = pages.get(l)!;
      await openChapter(page, hub, l, 'elasticsearch-kibana');
      await step(page, 'cluster-health').getByRole('button', { name: 'Run all commands of this step' }).click();
      await step(page, 'cluster-health').and(page.locator('[data-state="passed"]')).waitFor({ timeout: 60_000 });
    }
  });

  it("learner 2 reaches none of learner 1's services: not by 127.0.0.1, learner 1's address, a route to its engine's containers, nor a name", async () => {
    const [w1, w2] = [container('learner-1'), container('learner-2')];
    const ip1 = await workspaceIp(w1);
    const node1 = esNode.get('learner-1')!;
    // 127.0.0.1 is each learner's own (the test before: each answers with their own node).
    expect(await getFrom(w2, 'http://127.0.0.1:9200/')).not.toContain(node1);
    // Learner 1's address: something that listens on all of learner 1's addresses answers the
    // hub's host, never learner 2.
    const web = await learnerDocker(w1, [
      'run',
      '-d',
      '-p',
      '9300:80',
      'tutorial-test/busybox:1',
      'sh',
      '-c',
      'mkdir /w && echo learner-1 >/w/index.html && httpd -f -p 80 -h /w',
    ]);
    expect(web.code, web.stderr).toBe(0);
    await pollUntil(
      async () =>
        (
          await fetch(`http://${ip1}:9300/`).then(
            (r) => r.text(),
            () => '',
          )
        ).includes('learner-1')
          ? true
          : undefined,
      "learner 1's web server",
      30_000,
      250,
    );
    for (const port of [9300, 9200, 5601, 8888]) expect(await connectFrom(w2, ip1, port), `${ip1}:${port}`).not.toBe('connected');
    // Learner 1's Elasticsearch container, at its address inside learner 1's engine. A rootless
    // engine keeps its containers in rootlesskit's own network namespace, behind the learner's:
    // not even learner 1's workspace reaches that address (only the published 127.0.0.1 port), so
    // nor does learner 2's. (24a's probe with routes added from a NET_ADMIN container was written
    // for a root engine, whose bridge sits in the workspace's namespace; see docs/workshop.md.)
    const esIp = (
      await learnerDocker(w1, ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', node1])
    ).stdout.trim();
    expect(esIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await getFrom(w1, 'http://127.0.0.1:9200/')).toContain(node1);
    expect(await getFrom(w1, `http://${esIp}:9200/`)).not.toContain(node1);
    expect(await getFrom(w2, `http://${esIp}:9200/`)).not.toContain(node1);
    // Names: learner 1's containers are in no DNS learner 2 asks.
    const lookup = `import socket\ntry: print(socket.gethostbyname(${JSON.stringify(w1)}))\nexcept OSError as e: print(type(e).__name__)`;
    expect((await docker(['exec', '-u', 'learner', w2, 'python3', '-c', lookup])).stdout.trim()).toBe('gaierror');
  });

  it("Kibana opens through the hub from the chapter's link and the stack panel, under the learner's own path", async () => {
    const page = pages.get('learner-1')!;
    const origin = hub.url.replace(/\/$/, '');
    // Its home page, not / (Kibana's redirect from / carries its base path, which
    // jupyter-server-proxy's Location rewriting would add a second time).
    const home = '/user/learner-1/proxy/5601/app/home';
    const link = page.locator('.tutorial-step[data-step="kibana-status"] a[data-service="kibana"]');
    await pollUntil(
      async () => ((await link.getAttribute('href')) === `${origin}${home}` ? true : undefined),
      'the Kibana link through the hub',
      30_000,
      250,
    );
    const panel = page.locator('.stack-status__service[data-service="kibana"] a.stack-status__name').first();
    expect(await panel.getAttribute('href')).toBe(home);
    const kibana = await contexts.get('learner-1')!.newPage();
    const res = await kibana.goto(`${origin}${home}`);
    expect(res?.status()).toBe(200);
    expect(await kibana.title()).toBe('Elastic');
    // Kibana's own links carry its base path (KIBANA_BASE_PATH, set by the workspace).
    expect(await kibana.locator('a', { hasText: 'Discover' }).getAttribute('href')).toBe('/user/learner-1/proxy/5601/app/discover');
    await kibana.close();
    // Learner 2 does not get in through learner 1's path.
    const other = await contexts.get('learner-2')!.newPage();
    expect((await other.goto(`${origin}${home}`))?.status()).toBe(403);
    await other.close();
  });

  it("MLflow's UI and adminer open through the hub, under learner 1's own path, and not for learner 2", async () => {
    const env = readFileSync('compose/.env', 'utf8');
    const v = (k: string) => new RegExp(`^${k}=(\\S+)$`, 'm').exec(env)?.[1];
    // MLflow's image is one the stack builds (pip from PyPI), so it is in no seed: the compose tier
    // built it on this machine, and the test loads it into learner 1's engine as a learner's build
    // would leave it. Its database, its S3 storage and adminer come from the image seed.
    const mlflowImage = `dstack/mlflow:${v('MLFLOW_VERSION')}-psycopg2-${v('PSYCOPG2_VERSION')}-python-${v('PYTHON_IMAGE_TAG')}`;
    await seedEngineByHand(container('learner-1'), [mlflowImage]);
    const up = await compose('learner-1', ['up', '-d', '--no-build', 'mlflow', 'adminer'], 300_000);
    expect(up.code, up.stderr).toBe(0);
    const origin = hub.url.replace(/\/$/, '');
    const page = await contexts.get('learner-1')!.newPage();
    await pollUntil(
      async () => ((await page.goto(`${origin}/user/learner-1/proxy/5001/`))?.status() === 200 ? true : undefined),
      "MLflow's UI through the hub",
      180_000,
      2000,
    );
    expect(await page.title()).toMatch(/MLflow/);
    // The UI's own API request, as its run list makes it: through the hub, with the hub's Host and
    // origin, which MLflow's checks let through in a workspace (not a 403 "Invalid Host header").
    const search = await page.evaluate(async () => {
      const r = await fetch('ajax-api/2.0/mlflow/experiments/search', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ max_results: 10 }),
      });
      return { status: r.status, body: await r.text() };
    });
    expect(search.status, search.body).toBe(200);
    expect(search.body).toContain('"experiments"');
    const adminer = await page.goto(`${origin}/user/learner-1/proxy/8080/`);
    expect(adminer?.status()).toBe(200);
    expect(await page.content()).toContain('Adminer');
    await page.close();
    const other = await contexts.get('learner-2')!.newPage();
    expect((await other.goto(`${origin}/user/learner-1/proxy/5001/`))?.status()).toBe(403);
    await other.close();
  });

  it("the class server (--team-stack): the tutorial's terminals point the team's chapter at it, and each learner sees the other's run and model files there", async () => {
    const team = (JSON.parse(readFileSync(join(stateDir, 'workshop.json'), 'utf8')) as { team?: { mlflowUrl: string; project: string } })
      .team;
    expect(team, 'workshop.json names the class server').toBeDefined();
    expect(upOutput).toContain('learners reach them at http://team-mlflow:5000 and http://team-s3:8333');
    // The variables of the tutorial's own terminal shells (each learner's page has one open), as the
    // chapter's commands see them; the learner's own stack stays at 127.0.0.1 for the chapters before.
    const shellVars = async (l: string) => {
      const r = await docker([
        'exec',
        '-u',
        'learner',
        container(l),
        'sh',
        '-c',
        'for d in /proc/[0-9]*; do [ "$(cat $d/comm 2>/dev/null)" = bash ] && tr "\\000" "\\n" < $d/environ 2>/dev/null; done | grep -E "^(TEAM_|MLFLOW_TRACKING_URI=|S3_ENDPOINT_URL=)" | sort -u',
      ]);
      return r.stdout.trim().split('\n');
    };
    const marker = randomBytes(4).toString('hex');
    /** A workspace script (mlflow/team.py, data/bucket.py) with the variables of that learner's terminals. */
    const script = async (l: string, args: string[]) => {
      const env = (await shellVars(l)).flatMap((v) => ['-e', v]);
      const r = await docker(
        [
          'exec',
          '-u',
          'learner',
          '-w',
          '/home/learner/workspace',
          ...env,
          '-e',
          `TUTORIAL_MARKER=${marker}`,
          container(l),
          '.venv/bin/python',
          ...args,
        ],
        undefined,
        180_000,
      );
      expect(r.code, `${args.join(' ')} in ${l}'s workspace: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    for (const l of LEARNERS) {
      const vars = await shellVars(l);
      expect(vars).toContain('TEAM_MLFLOW_TRACKING_URI=http://team-mlflow:5000');
      expect(vars).toContain('TEAM_S3_ENDPOINT_URL=http://team-s3:8333');
      expect(vars).toContain('MLFLOW_TRACKING_URI=http://127.0.0.1:5001');
    }
    const logged = new Map<string, string>();
    for (const l of LEARNERS) {
      const out = await script(l, ['mlflow/team.py', 'log', '--member', l]);
      expect(out).toContain('Server: http://team-mlflow:5000');
      logged.set(l, /Run id: (\w+)/.exec(out)?.[1] ?? '');
    }
    // One experiment on one server: each learner lists both runs of this test.
    for (const l of LEARNERS) expect(await script(l, ['mlflow/team.py', 'runs'])).toContain('members: learner-1, learner-2');
    // Learner 1's model file is an object in the class server's bucket, listed from learner 2's workspace.
    expect(await script('learner-2', ['data/bucket.py', 'ls', 'mlflow-artifacts'])).toContain(
      `${logged.get('learner-1')}/artifacts/model/coefficients.json`,
    );
    // The instructor opens the class's runs on this machine.
    const experiment = await fetch(`${team!.mlflowUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=team-experiment`);
    expect(experiment.status).toBe(200);
    const id = ((await experiment.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id;
    const search = await fetch(`${team!.mlflowUrl}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ experiment_ids: [id], filter: `tags.\`tutorial.marker\` = '${marker}'` }),
    });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { runs?: unknown[] }).runs).toHaveLength(2);
    // The class server's containers sit on both learners' networks and forward nothing between them.
    for (const service of ['mlflow', 'seaweedfs']) {
      const c = `${team!.project}-${service}-1`;
      expect((await docker(['exec', c, 'cat', '/proc/sys/net/ipv4/ip_forward'])).stdout.trim(), `${c} forwards`).toBe('0');
      const nets = (await docker(['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', c])).stdout;
      for (const l of LEARNERS) expect(nets).toContain(`${container(l)}-net`);
    }
  });

  it('the learners stop their stacks (compose down), as a class would before the next chapter', async () => {
    const downs = await Promise.all(LEARNERS.map((l) => compose(l, ['down', '-t', '5'], 180_000)));
    for (const d of downs) expect(d.code, d.stderr).toBe(0);
  });

  it("status shows learner 1's passed step", async () => {
    const learners = await pollUntil(
      async () => {
        const r = await runWorkshop(['status', '--json', '--state', stateDir]);
        const s = JSON.parse(r.out) as { learners: { name: string; server: string; chapters: { id: string; passed: string[] }[] }[] };
        const l1 = s.learners.find((l) => l.name === 'learner-1');
        return l1?.chapters.find((c) => c.id === 'hello-terminal')?.passed.includes('say-hello') ? s.learners : undefined;
      },
      "learner 1's passed step in the status",
      60_000,
      500,
    );
    expect(learners.find((l) => l.name === 'learner-1')?.server).toBe('running');
    const text = await runWorkshop(['status', '--state', stateDir]);
    // Two steps: the warm-up's, and the stack step of the tests above.
    expect(text.out).toMatch(
      /^learner-1\s+running\s+2\/\d+\s+hello-terminal 1\/3 \(say-hello\); elasticsearch-kibana 1\/4 \(cluster-health\)$/m,
    );
  });

  it("stopping and starting learner 1's workspace keeps their progress and files", async () => {
    expect((await hubApi(hub, 'DELETE', 'users/learner-1/server')).status).toBeLessThan(300);
    await pollUntil(async () => (await serverState(hub, 'learner-1')) === 'stopped', "learner 1's workspace to stop", 120_000, 250);
    await pollUntil(async () => !(await workshopContainers(hub.name)).includes(container('learner-1')), 'its container to go', 60_000, 250);
    expect((await hubApi(hub, 'POST', 'users/learner-1/server')).status).toBeLessThan(300);
    await pollUntil(async () => (await serverState(hub, 'learner-1')) === 'running', "learner 1's workspace to start", 240_000, 250);
    const file = await docker(['exec', '-u', 'learner', container('learner-1'), 'cat', '/home/learner/workspace/hello.txt']);
    expect(file.stdout).toContain('hello from the tutorial');
    const page = pages.get('learner-1')!;
    await openChapter(page, hub, 'learner-1');
    await step(page, 'say-hello').and(page.locator('[data-state="passed"]')).waitFor({ timeout: 30_000 });
    await page.locator('.chapter-bar__count', { hasText: '1 of 3 steps passed' }).waitFor();
    // The new container's tutorial took the site built for learner 1's path at the first start
    // from their home volume, instead of building it again (as learner 2's first start did).
    const first = await docker(['logs', container('learner-2')]);
    expect(`${first.stdout}${first.stderr}`).toContain('Building the site');
    const log = await docker(['logs', container('learner-1')]);
    expect(`${log.stdout}${log.stderr}`).not.toContain('Building the site');
    const cache = await docker(['exec', '-u', 'learner', container('learner-1'), 'ls', '/home/learner/.cache/tutorial-site']);
    expect(cache.stdout).toMatch(/^site-[0-9a-f]{16}$/m);
  });

  it("two learners' `docker info` show two different engines (each learner's own, in a sidecar)", async () => {
    const ids = await Promise.all(
      ['learner-1', 'learner-2'].map(async (l) => {
        const r = await pollUntil(
          async () => {
            const info = await docker(['exec', '-u', 'learner', container(l), 'docker', 'info', '--format', '{{.ID}}']);
            return info.code === 0 ? info : undefined;
          },
          `${l}'s Docker engine`,
          60_000,
          500,
        );
        return r.stdout.trim();
      }),
    );
    expect(ids[0]).toMatch(/\S/);
    expect(ids[1]).toMatch(/\S/);
    expect(ids[0]).not.toBe(ids[1]);
    const host = (await docker(['info', '--format', '{{.ID}}'])).stdout.trim();
    expect(ids).not.toContain(host);
  });

  // --- 24b: the rootless engine and the image seed ---------------------------------------------

  /** Runs the Docker CLI in a learner's workspace, as the learner: their socket, their engine. */
  const dockerOf = (learner: string, args: string[]) => docker(['exec', '-u', 'learner', container(learner), 'docker', ...args]);

  it("each learner's engine is rootless: not privileged, the learner's uid, three capabilities", async () => {
    for (const l of ['learner-1', 'learner-2']) {
      const info = await dockerOf(l, ['info', '--format', '{{json .SecurityOptions}}']);
      expect(info.stdout, info.stderr).toContain('name=rootless');
      const engine = JSON.parse((await docker(['inspect', `${container(l)}-engine`])).stdout)[0];
      expect(engine.HostConfig.Privileged).toBe(false);
      expect(engine.Config.User).toBe('1000:1000');
      expect(engine.HostConfig.CapDrop).toEqual(['ALL']);
      expect([...engine.HostConfig.CapAdd].sort()).toEqual(['SETFCAP', 'SETGID', 'SETUID']);
      expect(engine.Config.Labels['tutorial.workshop.privileges']).toBe('rootless');
    }
    // Root and every other user in a learner's containers are host ids of that learner's own range,
    // none of the other learner's (a container that escaped its engine owns nothing of another's).
    const ranges = await Promise.all(
      LEARNERS.map(async (l) => {
        const r = await dockerOf(l, ['run', '--rm', '--entrypoint', 'cat', 'tutorial-test/busybox:1', '/proc/self/uid_map']);
        expect(r.code, r.stderr).toBe(0);
        const rows = r.stdout
          .trim()
          .split('\n')
          .map((line) => line.trim().split(/\s+/).map(Number));
        // Inside the engine's namespace: 0 is the learner's uid 1000, then a range of subordinate ids.
        const sub = rows.find((row) => row[0] !== 0);
        expect(sub, r.stdout).toBeDefined();
        return { start: sub![1]!, count: sub![2]! };
      }),
    );
    const [a, b] = ranges as [{ start: number; count: number }, { start: number; count: number }];
    expect(a.start + a.count <= b.start || b.start + b.count <= a.start, JSON.stringify(ranges)).toBe(true);
  });

  it("the image seed: up saved the stack's images once, and learner 2's compose up pulls nothing from outside", async () => {
    expect(upOutput).toMatch(/^Images for the learners' engines: found on this machine: .+\.$/m);
    expect(upOutput).toMatch(/^(Saved \d+ images|The image seed .* is up to date)/m);
    const present = await dockerOf('learner-2', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
    for (const image of stackImages()) expect(present.stdout.split('\n'), `${image} in learner 2's engine`).toContain(image);
    // Compose creates the stack's pulled services in learner 2's engine; the engine's own event log
    // says whether it pulled anything (no registry answers here, so a pull would also fail).
    const since = (await docker(['exec', container('learner-2'), 'date', '+%s'])).stdout.trim();
    const compose = ['compose', '-p', 'seedcheck', '-f', '/opt/tutorial/compose/docker-compose.yml'];
    const created = await dockerOf('learner-2', [...compose, 'up', '--no-start', 'elasticsearch', 'kibana', 'postgres', 'adminer']);
    expect(created.code, created.stderr).toBe(0);
    const until = (await docker(['exec', container('learner-2'), 'date', '+%s'])).stdout.trim();
    const events = await dockerOf('learner-2', [
      'events',
      '--since',
      since,
      '--until',
      String(Number(until) + 1),
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.ID}}',
    ]);
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout).toMatch(/^container create /m);
    expect(events.stdout).not.toMatch(/^image pull /m);
    expect((await dockerOf('learner-2', [...compose, 'down', '--volumes'])).code).toBe(0);
  });

  it("a learner's engine cannot read the host's files or another learner's volume", async () => {
    // A file on the host, and a volume in learner 1's engine, each with a secret of its own.
    const hostSecret = randomBytes(8).toString('hex');
    // The secret is the file's content: its path shows in the error of a `cat` that fails.
    const hostFile = join(stateDir, 'host-secret');
    writeFileSync(hostFile, `${hostSecret}\n`);
    const volumeSecret = `learner1-secret-${randomBytes(8).toString('hex')}`;
    const img = 'python:3.12.11-slim-bookworm';
    expect((await dockerOf('learner-1', ['volume', 'create', 'wstest-secret'])).code).toBe(0);
    const planted = await dockerOf('learner-1', ['run', '--rm', '-v', 'wstest-secret:/v', img, 'touch', `/v/${volumeSecret}`]);
    expect(planted.code, planted.stderr).toBe(0);
    const { dev } = statSync(hostFile);
    const [major, minor] = [(dev >>> 8) & 0xfff, (dev & 0xff) | ((dev >>> 12) & 0xfff00)];
    const find = `find /host /x -path /host/proc -prune -o -path /host/sys -prune -o -name '${volumeSecret}' -print 2>/dev/null`;
    const mounts = ['-v', '/:/host', '-v', '/var/lib/docker:/x'];
    const everyCapability = ['--cap-add', 'ALL', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined'];
    // [what, docker run's flags, the script, whether the engine may refuse to start it at all]
    const attempts: [string, string[], string, boolean][] = [
      // A privileged container cannot even start in a rootless engine here: runc's fresh sysfs
      // would be writable, and the sidecar's own /sys is read-only.
      ['docker run --privileged -v /:/host', ['--privileged', ...mounts], `cat /host${hostFile}; ${find}; echo searched`, true],
      // The same mounts without --privileged start, and what they show is the sidecar's files.
      [
        'docker run -v /:/host -v /var/lib/docker:/x, every capability',
        [...everyCapability, ...mounts],
        `cat /host${hostFile}; ${find}; test -x /host/usr/local/bin/learner-engine && echo searched`,
        false,
      ],
      ['docker run --pid host', ['--pid', 'host', ...everyCapability], `cat /proc/1/root${hostFile}; echo done`, false],
      [
        `a device node of the host's disk (${major}:${minor}), mounted`,
        everyCapability,
        `mknod /tmp/disk b ${major} ${minor} && mkdir -p /mnt/disk && mount /tmp/disk /mnt/disk && cat /mnt/disk${hostFile}; umount /mnt/disk; echo done`,
        false,
      ],
    ];
    for (const [what, flags, script, mayRefuse] of attempts) {
      const r = await dockerOf('learner-2', ['run', '--rm', ...flags, img, 'sh', '-c', script]);
      say(`learner 2's engine, ${what}: ${r.code === 0 ? 'ran, and saw no secret' : `refused (${r.stderr.trim().split('\n').pop()})`}`);
      if (!(mayRefuse && r.code !== 0)) expect(r.stdout, `${what}: ${r.stderr}`).toMatch(/(searched|done)\n?$/);
      expect(r.stdout + r.stderr, what).not.toContain(hostSecret);
      expect(r.stdout + r.stderr, what).not.toContain(volumeSecret);
    }
    // Learner 1's own engine does see its volume: the search above would have found it there.
    const own = await dockerOf('learner-1', ['run', '--rm', '-v', 'wstest-secret:/x', img, 'sh', '-c', `find /x -name '${volumeSecret}'`]);
    expect(own.stdout).toContain(volumeSecret);
  });

  it("a learner whose engine is not running is told so by the tutorial's Docker preflight", async () => {
    expect((await docker(['rm', '-f', `${container('learner-2')}-engine`])).code).toBe(0);
    const check = await docker([
      'exec',
      '-u',
      'learner',
      '-w',
      '/opt/tutorial',
      container('learner-2'),
      'node',
      'build/server/check.js',
      'before-you-start/docker-engine',
    ]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('Docker is not running: nothing answers at unix:///run/learner-docker/docker.sock');
  });

  it('down leaves no container behind', async () => {
    const down = await runWorkshop(['down', '--volumes', '--state', stateDir, '--name', name]);
    expect(down.code, down.err).toBe(0);
    expect(await workshopContainers(name)).toEqual([]);
    const volumes = await docker(['volume', 'ls', '-q', '--filter', `label=tutorial.workshop=${name}`]);
    expect(volumes.stdout.trim()).toBe('');
    const status = await runWorkshop(['status', '--state', stateDir, '--name', name]);
    expect(status.out).toContain('The workshop hub is not running');
  });
});

describe('the idle culler', () => {
  const name = `wscull-${randomBytes(3).toString('hex')}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'workshop-cull-'));
  let hub: Hub;

  beforeAll(async () => {
    const up = await runWorkshop([
      'up',
      '--learners',
      '1',
      '--state',
      stateDir,
      '--name',
      name,
      '--no-engine',
      '--cull-timeout',
      '10',
      '--cull-every',
      '5',
    ]);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    hub = hubFrom(stateDir, up.out);
  });

  afterAll(async () => {
    await runWorkshop(['down', '--volumes', '--state', stateDir, '--name', name]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('stops a workspace nobody uses', async () => {
    expect((await hubApi(hub, 'POST', 'users/learner-1/server')).status).toBeLessThan(300);
    await pollUntil(async () => (await serverState(hub, 'learner-1')) === 'running', 'the workspace to start', 240_000, 250);
    expect(await workshopContainers(name)).toEqual([`${name}-learner-1`]);
    // Nothing touches it now; the culler (every 5 s, 10 s of inactivity) stops it.
    await pollUntil(async () => (await serverState(hub, 'learner-1')) === 'stopped', 'the idle culler to stop the workspace', 180_000, 500);
    await pollUntil(async () => (await workshopContainers(name)).length === 0, 'its container to go', 60_000, 250);
    expect(await runWorkshop(['status', '--json', '--state', stateDir]).then((r) => JSON.parse(r.out).learners[0].server)).toBe('stopped');
  });
});
