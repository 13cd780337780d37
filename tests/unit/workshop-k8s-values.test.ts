/**
 * workshop/k8s/values.yaml cannot be installed here (no Kubernetes cluster): this checks what can
 * be checked without one. Its structure is the Zero to JupyterHub chart's, for the keys it sets,
 * and everything it names exists in this repository: the workspace image and what the image
 * holds (the engine's entry point, the learner's home, the tutorial's proxy entry), the socket
 * path the workspace and the engine share, and the progress service's file and port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { IMAGE_REPOSITORY } from '../../server/cli/workshop/image.ts';
import { REPO_ROOT } from '../../server/paths.ts';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const values = parse(read('workshop/k8s/values.yaml')) as unknown;
const dockerfile = read('workshop/image/Dockerfile');

const Mount = z.strictObject({ name: z.string(), mountPath: z.string(), subPath: z.string().optional() });
const Quantity = z.union([z.string(), z.number()]);
const Container = z.object({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()),
  securityContext: z.record(z.string(), z.unknown()).optional(),
  resources: z.strictObject({ requests: z.record(z.string(), Quantity), limits: z.record(z.string(), Quantity) }).optional(),
  volumeMounts: z.array(Mount),
});

/** The keys of the chart's values that this file sets, with the types the chart expects. */
const Values = z.strictObject({
  hub: z.strictObject({
    config: z.record(z.string(), z.record(z.string(), z.unknown())),
    extraFiles: z.record(z.string(), z.strictObject({ mountPath: z.string() })),
    services: z.record(
      z.string(),
      z.strictObject({
        url: z.string().url(),
        display: z.boolean(),
        oauth_no_confirm: z.boolean(),
        command: z.array(z.string()),
        environment: z.record(z.string(), z.string()),
      }),
    ),
    loadRoles: z.record(z.string(), z.strictObject({ scopes: z.array(z.string()), services: z.array(z.string()) })),
    service: z.strictObject({ extraPorts: z.array(z.strictObject({ name: z.string(), port: z.number(), targetPort: z.number() })) }),
    networkPolicy: z.strictObject({ ingress: z.array(z.unknown()) }),
  }),
  proxy: z.strictObject({
    service: z.strictObject({ type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']) }),
    https: z.strictObject({
      enabled: z.boolean(),
      hosts: z.array(z.string()),
      letsencrypt: z.strictObject({ contactEmail: z.string() }),
    }),
  }),
  singleuser: z.strictObject({
    image: z.strictObject({ name: z.string(), tag: z.string() }),
    uid: z.number(),
    fsGid: z.number(),
    cmd: z.string(),
    defaultUrl: z.string(),
    startTimeout: z.number(),
    memory: z.strictObject({ guarantee: Quantity, limit: Quantity }),
    cpu: z.strictObject({ guarantee: z.number(), limit: z.number() }),
    storage: z.strictObject({
      type: z.literal('dynamic'),
      capacity: z.string(),
      homeMountPath: z.string(),
      extraVolumes: z.array(z.object({ name: z.string() })),
      extraVolumeMounts: z.array(Mount),
    }),
    extraEnv: z.record(z.string(), z.string()),
    initContainers: z.array(Container),
    extraContainers: z.array(Container),
    networkPolicy: z.strictObject({ egress: z.array(z.unknown()) }),
  }),
  scheduling: z.strictObject({
    userScheduler: z.strictObject({ enabled: z.boolean() }),
    podPriority: z.strictObject({ enabled: z.boolean() }),
    userPlaceholder: z.strictObject({ enabled: z.boolean(), replicas: z.number().int() }),
    userPods: z.strictObject({ nodeAffinity: z.strictObject({ matchNodePurpose: z.enum(['ignore', 'prefer', 'require']) }) }),
  }),
  prePuller: z.strictObject({ hook: z.strictObject({ enabled: z.boolean() }), continuous: z.strictObject({ enabled: z.boolean() }) }),
  cull: z.strictObject({ enabled: z.boolean(), timeout: z.number(), every: z.number() }),
});

describe('workshop/k8s/values.yaml (Zero to JupyterHub)', () => {
  const v = Values.parse(values);
  const image = `${v.singleuser.image.name}:${v.singleuser.image.tag}`;
  const engine = v.singleuser.extraContainers.find((c) => c.name === 'engine');

  it('runs the workspace image this repository builds, for the engine and the home copy too', () => {
    expect(v.singleuser.image.name.endsWith(`/${IMAGE_REPOSITORY}`)).toBe(true);
    expect(engine?.image).toBe(image);
    for (const c of v.singleuser.initContainers) expect(c.image).toBe(image);
    expect(v.singleuser.cmd).toBe('jupyterhub-singleuser');
    expect(dockerfile).toContain('/opt/jupyter/bin/jupyterhub-singleuser');
  });

  it("guarantees each learner's memory: guarantee = limit, for the workspace and for its engine", () => {
    expect(String(v.singleuser.memory.guarantee)).toBe(String(v.singleuser.memory.limit));
    expect(engine?.resources?.requests.memory).toBe(engine?.resources?.limits.memory);
  });

  it("runs each learner's own Docker engine as a privileged sidecar, reached through a Unix socket the pod shares", () => {
    expect(engine?.command).toEqual(['/usr/local/bin/learner-engine']);
    expect(dockerfile).toContain('COPY workshop/image/learner-engine.sh /usr/local/bin/learner-engine');
    expect(engine?.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    // The socket folder is the one the image's DOCKER_HOST, the engine script and the hub's spawner use.
    const socketDir = /DOCKER_HOST=unix:\/\/(\S+)\/docker\.sock/.exec(dockerfile)?.[1];
    expect(socketDir).toBe('/run/learner-docker');
    expect(read('workshop/image/learner-engine.sh')).toContain(`ENGINE_SOCKET_DIR:-${socketDir}`);
    expect(read('workshop/hub/workshop_spawner.py')).toContain(`SOCKET_DIR = "${socketDir}"`);
    expect(v.singleuser.extraEnv.DOCKER_HOST).toBe(`unix://${socketDir}/docker.sock`);
    const shared = v.singleuser.storage.extraVolumeMounts.find((m) => m.mountPath === socketDir);
    expect(shared).toBeDefined();
    expect(v.singleuser.storage.extraVolumes.map((x) => x.name)).toContain(shared?.name);
    expect(engine?.volumeMounts).toContainEqual({ name: shared?.name, mountPath: socketDir });
    // Its storage is on the learner's own volume.
    expect(engine?.volumeMounts).toContainEqual({ name: 'volume-{user_server}', mountPath: '/var/lib/docker', subPath: '.engine' });
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

  it('runs the progress service from this repository on one port, routed, allowed and reported to', () => {
    const service = v.hub.services.progress;
    expect(service).toBeDefined();
    const file = v.hub.extraFiles['progress-service']?.mountPath;
    expect(service?.command).toEqual(['python3', file]);
    expect(read('workshop/hub/progress_service.py')).toContain('WORKSHOP_PROGRESS_BIND');
    const port = Number(new URL(service?.url ?? '').port);
    expect(v.hub.service.extraPorts).toContainEqual({ name: 'progress', port, targetPort: port });
    expect(JSON.stringify(v.hub.networkPolicy.ingress)).toContain(`"port":${port}`);
    expect(JSON.stringify(v.singleuser.networkPolicy.egress)).toContain(`"port":${port}`);
    expect(new URL(v.singleuser.extraEnv.WORKSHOP_PROGRESS_URL ?? '').port).toBe(String(port));
    expect(v.singleuser.extraEnv.WORKSHOP_PROGRESS_URL).toMatch(/\/services\/progress\/$/);
    // The same scopes the single-machine hub gives it.
    expect(read('workshop/hub/jupyterhub_config.py')).toContain(
      `"scopes": [${v.hub.loadRoles.progress?.scopes.map((s) => `"${s}"`).join(', ')}]`,
    );
  });

  it('culls idle workspaces, keeps placeholders for late arrivals, and pulls the image before the class', () => {
    expect(v.cull.enabled).toBe(true);
    expect(v.cull.timeout).toBeGreaterThan(0);
    expect(v.scheduling.userPlaceholder.enabled).toBe(true);
    expect(v.scheduling.userPlaceholder.replicas).toBeGreaterThan(0);
    expect(v.prePuller.hook.enabled).toBe(true);
    expect(v.prePuller.continuous.enabled).toBe(true);
  });
});
