/**
 * workshop/k8s/values.yaml cannot be installed here (no Kubernetes cluster, and Helm is not one of
 * this project's tools): this checks what can be checked without them. The values, merged over
 * the pinned chart release's defaults with what the install command's --set-file and --set add,
 * as Helm merges them, must pass that release's values schema (tests/fixtures/z2jh-4.4.0, the
 * chart's own files); the merged values must give what docs/workshop.md promises; and everything
 * the file names exists in this repository: the workspace image and what the image holds, the
 * socket path the workspace and the engine share, and the progress service's file and port.
 * `helm template` of the real chart was run by hand (docs/workshop.md says what it showed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGE_REPOSITORY } from '../../server/cli/workshop/image.ts';
import { REPO_ROOT } from '../../server/paths.ts';

/** The chart release the values are for, and the JupyterHub its hub image runs (its Chart.yaml's appVersion). */
const CHART = { version: '4.4.0', jupyterhub: '5.5.0' };
const FIXTURE = `tests/fixtures/z2jh-${CHART.version}`;

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const valuesText = read('workshop/k8s/values.yaml');
const docs = read('docs/workshop.md');
const dockerfile = read('workshop/image/Dockerfile');

type Tree = { [key: string]: unknown };
const isMap = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's coalescing of values over a chart's defaults: maps merge key by key, the values' side winning; anything else (lists too) replaces; null removes the default. */
function coalesce(defaults: Tree, values: Tree): Tree {
  const out: Tree = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete out[k];
    else out[k] = isMap(v) && isMap(out[k]) ? coalesce(out[k] as Tree, v) : v;
  }
  return out;
}

/** What `--set a.b.c=value` (and --set-file, with the file's text) does to the values: maps made along the path. */
function setPath(values: Tree, dotted: string, value: unknown): Tree {
  const keys = dotted.split('.');
  const out = structuredClone(values);
  let node = out;
  for (const k of keys.slice(0, -1)) {
    if (!isMap(node[k])) node[k] = {};
    node = node[k] as Tree;
  }
  node[keys.at(-1) as string] = value;
  return out;
}

interface Install {
  chart: string;
  version?: string;
  values: string[];
  setFiles: [string, string][];
  sets: [string, string][];
}

/** The `helm upgrade --install` command in a text (a code block, or the values file's comments). */
function installCommand(text: string): Install {
  const start = text.indexOf('helm upgrade --install');
  expect(start, 'a `helm upgrade --install` command').toBeGreaterThanOrEqual(0);
  const lines: string[] = [];
  for (const raw of text.slice(start).split('\n')) {
    const line = raw.replace(/^\s*#?\s*/, '');
    lines.push(line.replace(/\\$/, ''));
    if (!raw.trimEnd().endsWith('\\')) break;
  }
  const words = lines.join(' ').split(/\s+/).filter(Boolean);
  const after = (flag: string) => words.flatMap((w, i) => (w === flag && words[i + 1] ? [words[i + 1] as string] : []));
  const pair = (s: string): [string, string] => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)];
  return {
    chart: words[4] ?? '',
    version: after('--version')[0],
    values: after('--values'),
    setFiles: after('--set-file').map(pair),
    sets: after('--set').map(pair),
  };
}

const values = parse(valuesText) as Tree;
const defaults = parse(read(`${FIXTURE}/values.yaml`)) as Tree;
const schema = parse(read(`${FIXTURE}/values.schema.yaml`), { maxAliasCount: -1 }) as Tree;
const docsInstall = installCommand(docs.slice(docs.indexOf('## On a cluster')));
const fileInstall = installCommand(valuesText);

/** What Helm validates and renders: the defaults, the values file, then --set-file and --set over it. */
function merged(install: Install): Tree {
  let user = values;
  for (const [key, file] of install.setFiles) user = setPath(user, key, read(file));
  for (const [key, value] of install.sets) user = setPath(user, key, value);
  return coalesce(defaults, user);
}

interface Container {
  name: string;
  image: string;
  command: string[];
  env?: { name: string; value: string }[];
  securityContext?: Tree;
  resources?: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
}
/** The parts of the merged values these checks read (the schema has checked their types). */
interface Values {
  hub: {
    extraFiles: Record<string, { mountPath: string; stringData?: string }>;
    services: Record<string, { url: string; command: string[] }>;
    loadRoles: Record<string, { scopes: string[] }>;
    service: { extraPorts: { name: string; port: number; targetPort: number }[] };
    networkPolicy: { ingress: unknown[] };
  };
  proxy: { chp: { networkPolicy: { egress: unknown[] } } };
  singleuser: {
    image: { name: string; tag: string };
    uid: number;
    fsGid: number;
    cmd: string;
    defaultUrl: string;
    extraLabels: Record<string, string>;
    memory: { guarantee: string; limit: string };
    cpu: { guarantee: number; limit: number };
    storage: { homeMountPath: string; extraVolumes: ({ name: string } & Tree)[]; extraVolumeMounts: { name: string; mountPath: string }[] };
    extraEnv: Record<string, string>;
    initContainers: Container[];
    extraContainers: Container[];
    networkPolicy: { egress: unknown[] };
  };
  scheduling: {
    userPlaceholder: { enabled: boolean; replicas: number; resources: { requests: Record<string, string> } };
    userPods: { nodeAffinity: { matchNodePurpose: string } };
  };
  prePuller: { hook: { enabled: boolean }; continuous: { enabled: boolean } };
  cull: { enabled: boolean; timeout: number };
}

/** Bytes of a Kubernetes quantity (Gi, Mi, G, M) or of KubeSpawner's sizes (K, M, G, T: powers of 1024). */
function bytes(q: string, kubeSpawner = false): number {
  const m = /^([\d.]+)([KMGT]i?)?$/.exec(q);
  if (!m) throw new Error(`not a memory size: ${q}`);
  const unit = m[2] ?? '';
  const power = { K: 1, M: 2, G: 3, T: 4 }[unit[0] as 'K'] ?? 0;
  const base = unit.endsWith('i') || kubeSpawner ? 1024 : 1000;
  return Number(m[1]) * base ** power;
}
const GiB = 1024 ** 3;

describe(`workshop/k8s/values.yaml (Zero to JupyterHub ${CHART.version})`, () => {
  it('pins the chart release in the values file, the docs and these tests, with one install command in both', () => {
    expect(fileInstall.version).toBe(CHART.version);
    expect(docsInstall.version).toBe(CHART.version);
    expect(docsInstall.chart).toBe('jupyterhub/jupyterhub');
    expect(fileInstall.chart).toBe('jupyterhub/jupyterhub');
    expect(docsInstall.values).toEqual(['workshop/k8s/values.yaml']);
    expect(fileInstall.values).toEqual(docsInstall.values);
    expect(fileInstall.setFiles).toEqual(docsInstall.setFiles);
    expect(fileInstall.sets.map(([k]) => k)).toEqual(docsInstall.sets.map(([k]) => k));
    expect(read(`${FIXTURE}/README.md`)).toContain(`JupyterHub ${CHART.jupyterhub}`);
  });

  it("runs the chart hub's JupyterHub major and minor in the workspace image, and the same JupyterHub in the local hub", () => {
    const pinned = (file: string) => /^jupyterhub==(\S+)$/m.exec(read(file))?.[1];
    const image = pinned('workshop/image/requirements.txt');
    const hub = pinned('workshop/hub/requirements.txt');
    const majorMinor = (v = '') => v.split('.').slice(0, 2).join('.');
    expect(majorMinor(image)).toBe(majorMinor(CHART.jupyterhub));
    expect(hub).toBe(image);
  });

  it("passes the chart's values schema once merged over its defaults with what the install command adds", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const ok = validate(merged(docsInstall));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // Without --set-file the progress service's file has no content, and the schema says so:
    // Helm refuses to install rather than start a hub whose service has no code.
    const without = validate(merged({ ...docsInstall, setFiles: [] }));
    expect(without).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/hub/extraFiles/progress-service');
  });

  const v = merged(docsInstall) as unknown as Values;
  const image = `${v.singleuser.image.name}:${v.singleuser.image.tag}`;
  const engine = v.singleuser.extraContainers.find((c) => c.name === 'engine');

  it('runs the workspace image this repository builds, for the engine and the home copy too', () => {
    expect(v.singleuser.image.name.endsWith(`/${IMAGE_REPOSITORY}`)).toBe(true);
    expect(engine?.image).toBe(image);
    for (const c of v.singleuser.initContainers) expect(c.image).toBe(image);
    expect(v.singleuser.cmd).toBe('jupyterhub-singleuser');
    expect(dockerfile).toContain('/opt/jupyter/bin/jupyterhub-singleuser');
  });

  it("guarantees each learner's memory (guarantee = limit for the workspace and its engine), the engine's above the stack's limits", () => {
    expect(v.singleuser.memory.guarantee).toBe(v.singleuser.memory.limit);
    expect(engine?.resources?.requests.memory).toBe(engine?.resources?.limits.memory);
    const stack = [...read('compose/docker-compose.yml').matchAll(/^\s+mem_limit: (\d+)m$/gm)].reduce(
      (sum, m) => sum + Number(m[1]) * 1024 ** 2,
      0,
    );
    expect(stack / GiB).toBeCloseTo(5.9, 1);
    // The engine's own processes (dockerd, containerd, rootlesskit, slirp4netns) need room beside the stack's.
    expect(bytes(engine?.resources?.limits.memory ?? '0')).toBeGreaterThanOrEqual(stack + 0.5 * GiB);
    // The single-server hub's engines get the same: `up`'s default, the config's and the spawner's.
    const local = [
      /'engine-mem-limit': \{ type: 'string', default: '(\w+)' \}/.exec(read('server/cli/workshop.ts'))?.[1],
      /WORKSHOP_ENGINE_MEM_LIMIT", "(\w+)"/.exec(read('workshop/hub/jupyterhub_config.py'))?.[1],
      /engine_mem_limit = Unicode\("(\w+)"/.exec(read('workshop/hub/workshop_spawner.py'))?.[1],
    ];
    expect(local).toEqual(['7G', '7G', '7G']);
    expect(bytes(local[0] ?? '0', true)).toBe(bytes(engine?.resources?.limits.memory ?? '0'));
  });

  it('holds room for late arrivals with placeholders as large as a learner pod, workspace and engine together', () => {
    const p = v.scheduling.userPlaceholder;
    expect(p.enabled).toBe(true);
    expect(p.replicas).toBeGreaterThan(0);
    const pod = bytes(v.singleuser.memory.guarantee, true) + bytes(engine?.resources?.requests.memory ?? '0');
    expect(bytes(p.resources.requests.memory ?? '0')).toBe(pod);
    const cores = (c: string) => (c.endsWith('m') ? Number(c.slice(0, -1)) / 1000 : Number(c));
    expect(cores(p.resources.requests.cpu ?? '0')).toBe(v.singleuser.cpu.guarantee + cores(engine?.resources?.requests.cpu ?? '0'));
  });

  it("runs each learner's engine rootless, as docker:dind-rootless does, reached through a Unix socket the pod shares", () => {
    expect(engine?.command).toEqual(['/usr/local/bin/learner-engine']);
    expect(dockerfile).toContain('COPY workshop/image/learner-engine.sh /usr/local/bin/learner-engine');
    expect(engine?.env).toContainEqual({ name: 'ENGINE_MODE', value: 'rootless' });
    // dockerd as the learner's uid (docker:dind-rootless runs as uid 1000 with privileged, which
    // lifts the seccomp profile and the masked /proc that rootlesskit's namespaces need).
    expect(engine?.securityContext).toEqual({ privileged: true, runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
    const socketDir = /DOCKER_HOST=unix:\/\/(\S+)\/docker\.sock/.exec(dockerfile)?.[1];
    expect(socketDir).toBe('/run/learner-docker');
    expect(read('workshop/image/learner-engine.sh')).toContain(`ENGINE_SOCKET_DIR:-${socketDir}`);
    expect(read('workshop/hub/workshop_spawner.py')).toContain(`SOCKET_DIR = "${socketDir}"`);
    expect(v.singleuser.extraEnv.DOCKER_HOST).toBe(`unix://${socketDir}/docker.sock`);
    const shared = v.singleuser.storage.extraVolumeMounts.find((m) => m.mountPath === socketDir);
    expect(shared).toBeDefined();
    expect(v.singleuser.storage.extraVolumes.map((x) => x.name)).toContain(shared?.name);
    expect(engine?.volumeMounts).toContainEqual({ name: shared?.name, mountPath: socketDir });
  });

  it("keeps the engine's storage apart from the learner's home volume, where fsGid would re-own it at every start", () => {
    // A rootless dockerd keeps its data in the user's ~/.local/share/docker (Docker's default for rootless mode).
    const storage = engine?.volumeMounts.find((m) => m.mountPath === '/home/learner/.local/share/docker');
    expect(storage).toBeDefined();
    expect(storage?.name).not.toMatch(/^volume-/);
    expect(engine?.volumeMounts.some((m) => m.name.startsWith('volume-'))).toBe(false);
    const volume = v.singleuser.storage.extraVolumes.find((x) => x.name === storage?.name);
    expect(volume).toMatchObject({ emptyDir: { sizeLimit: expect.any(String) } });
  });

  it("mounts the learner's volume where the image keeps the learner's home, and seeds it from the image", () => {
    expect(v.singleuser.storage.homeMountPath).toBe('/home/learner');
    expect(dockerfile).toContain('useradd --create-home --uid 1000');
    expect(dockerfile).toContain('TUTORIAL_WORKSPACE=/home/learner/workspace');
    expect(v.singleuser.uid).toBe(1000);
    const seed = v.singleuser.initContainers.find((c) => c.name === 'home');
    expect(seed?.command.join(' ')).toContain('cp -an /home/learner/. /mnt/home/');
    expect(seed?.volumeMounts).toContainEqual({ name: 'volume-{user_server}', mountPath: '/mnt/home' });
  });

  it("opens the tutorial, which the image's jupyter-server-proxy entry serves at /tutorial/", () => {
    expect(v.singleuser.defaultUrl).toBe('/tutorial/');
    expect(read('workshop/proxy/pyproject.toml')).toMatch(/\[project\.entry-points\.jupyter_serverproxy_servers\]\ntutorial = /);
  });

  it('runs the progress service from this repository on one port, routed, allowed by every network policy on the way, and reported to', () => {
    const service = v.hub.services.progress;
    expect(service).toBeDefined();
    const file = v.hub.extraFiles['progress-service'];
    expect(service?.command).toEqual(['python3', file?.mountPath]);
    expect(file?.stringData).toBe(read('workshop/hub/progress_service.py'));
    expect(file?.stringData).toContain('WORKSHOP_PROGRESS_BIND');
    const port = Number(new URL(service?.url ?? '').port);
    expect(v.hub.service.extraPorts).toContainEqual({ name: 'progress', port, targetPort: port });
    // Into the hub's pod from pods with the chart's label for that (the proxy's, and the learners'
    // through singleuser.extraLabels); out of the proxy's pod and out of each learner's pod.
    expect(v.hub.networkPolicy.ingress).toContainEqual({
      ports: [{ port }],
      from: [{ podSelector: { matchLabels: { 'hub.jupyter.org/network-access-hub': 'true' } } }],
    });
    expect(v.singleuser.extraLabels['hub.jupyter.org/network-access-hub']).toBe('true');
    const toHub = { to: [{ podSelector: { matchLabels: { app: 'jupyterhub', component: 'hub' } } }], ports: [{ port }] };
    expect(v.proxy.chp.networkPolicy.egress).toContainEqual(toHub);
    expect(v.singleuser.networkPolicy.egress).toContainEqual(toHub);
    expect(new URL(v.singleuser.extraEnv.WORKSHOP_PROGRESS_URL ?? '').port).toBe(String(port));
    expect(v.singleuser.extraEnv.WORKSHOP_PROGRESS_URL).toMatch(/\/services\/progress\/$/);
    // The same scopes the single-machine hub gives it.
    expect(read('workshop/hub/jupyterhub_config.py')).toContain(
      `"scopes": [${v.hub.loadRoles.progress?.scopes.map((s) => `"${s}"`).join(', ')}]`,
    );
  });

  it('culls idle workspaces, places pods on user nodes only where there are such, and pulls the image before the class', () => {
    expect(v.cull.enabled).toBe(true);
    expect(v.cull.timeout).toBeGreaterThan(0);
    // `require` leaves every learner's pod Pending on a cluster without labelled nodes.
    expect(v.scheduling.userPods.nodeAffinity.matchNodePurpose).toBe('prefer');
    expect(docs).toContain('hub.jupyter.org/node-purpose=user');
    expect(v.prePuller.hook.enabled).toBe(true);
    expect(v.prePuller.continuous.enabled).toBe(true);
  });
});
