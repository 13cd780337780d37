import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { composeEnvFile, fileVersion, readDotenv, TEMPLATE_ENV_FILE } from './compose-env.ts';

/**
 * Where the stack's services are. One configuration for the checks, the stack panel, the
 * placeholders of the chapters and the variables of the tutorial's shells, so that moving a port
 * is one line in the workspace's compose/.env.
 *
 * Sources, later ones win:
 * 1. the repository's compose/.env (the defaults),
 * 2. the workspace's compose/.env (the learner's own copy, which `docker compose` reads),
 * 3. variables of the same names in this process's environment (as `docker compose` lets the
 *    shell's variables win over .env, and the tutorial's shells inherit them),
 * 4. a JSON file named by TUTORIAL_ENDPOINTS, then one variable per service (TUTORIAL_ES_URL,
 *    ...), to check against services started another way (a native MLflow server in CI).
 */
export const EndpointsSchema = z.strictObject({
  es: z.url(),
  kibana: z.url(),
  mlflow: z.url(),
  adminer: z.url(),
  fluentd: z.strictObject({ host: z.string(), port: z.number().int() }),
  fluentd_monitor: z.url(),
  /** The S3 API of the stack's object storage (SeaweedFS): MLflow's artifacts and the team's DVC remote. */
  s3: z.url(),
  /**
   * The team's MLflow server and S3 storage ("Work as a team"): the learner's own stack's, unless a
   * class server is given (TUTORIAL_TEAM_MLFLOW_URL and TUTORIAL_TEAM_S3_URL, which workshop mode
   * sets in every workspace when the instructor runs one: `npm run workshop -- up --team-stack`).
   */
  team_mlflow: z.url(),
  team_s3: z.url(),
  docker: z.strictObject({ socketPath: z.string().optional(), host: z.string().optional() }),
  /** The Compose project name of the stack (COMPOSE_PROJECT_NAME in compose/.env). */
  composeProject: z.string(),
});
export type Endpoints = z.output<typeof EndpointsSchema>;

/** Where the endpoints come from: fixed (tests), or read again whenever they may have changed. */
export type EndpointsSource = Endpoints | (() => Endpoints);

/** The endpoints as they are now. */
export function endpointsNow(source: EndpointsSource): Endpoints {
  return typeof source === 'function' ? source() : source;
}

/** The compose/.env variable of each published port, by endpoint. */
export const PORT_VARIABLES = {
  es: 'ES_PORT',
  kibana: 'KIBANA_PORT',
  fluentd: 'FLUENTD_PORT',
  fluentd_monitor: 'FLUENTD_MONITOR_PORT',
  mlflow: 'MLFLOW_PORT',
  adminer: 'ADMINER_PORT',
  s3: 'S3_PORT',
} as const;
type PortVariable = (typeof PORT_VARIABLES)[keyof typeof PORT_VARIABLES];

/** Every port is published on this address only (docker-compose.yml). */
const HOST = '127.0.0.1';

const URL_VARS = {
  es: 'TUTORIAL_ES_URL',
  kibana: 'TUTORIAL_KIBANA_URL',
  mlflow: 'TUTORIAL_MLFLOW_URL',
  adminer: 'TUTORIAL_ADMINER_URL',
  fluentd_monitor: 'TUTORIAL_FLUENTD_MONITOR_URL',
  s3: 'TUTORIAL_S3_URL',
  team_mlflow: 'TUTORIAL_TEAM_MLFLOW_URL',
  team_s3: 'TUTORIAL_TEAM_S3_URL',
} as const;

/** Where to read from: the workspace whose compose/.env counts, and the process environment. */
export interface EndpointsOptions {
  /** The learner's workspace; without it, only the repository's compose/.env is read. */
  workspace?: string;
  env?: NodeJS.ProcessEnv;
}

/** The endpoints from the compose/.env files and the environment (see EndpointsSchema for the order). */
export function loadEndpoints(o: EndpointsOptions = {}): Endpoints {
  const env = o.env ?? process.env;
  const file = composeEnvFile(o.workspace);
  const vars: Record<string, string | undefined> = { ...readDotenv(TEMPLATE_ENV_FILE), ...readDotenv(file) };
  for (const name of [...Object.values(PORT_VARIABLES), 'COMPOSE_PROJECT_NAME']) if (env[name]) vars[name] = env[name];
  const port = (name: PortVariable): number => {
    const raw = vars[name];
    const n = Number(raw);
    if (raw === undefined || !/^\d+$/.test(raw) || n < 1 || n > 65535) {
      const from = env[name] ? `the environment variable ${name}` : file;
      const missing =
        file === TEMPLATE_ENV_FILE ? `${file} has no ${name} line` : `Neither ${file} nor ${TEMPLATE_ENV_FILE} has a ${name} line`;
      throw new TypeError(
        raw === undefined
          ? `${missing}; add one with the host port of that service.`
          : `${name}=${raw} in ${from} is not a port number; write a number from 1 to 65535.`,
      );
    }
    return n;
  };
  let merged: Record<string, unknown> = {
    es: `http://${HOST}:${port('ES_PORT')}`,
    kibana: `http://${HOST}:${port('KIBANA_PORT')}`,
    mlflow: `http://${HOST}:${port('MLFLOW_PORT')}`,
    adminer: `http://${HOST}:${port('ADMINER_PORT')}`,
    fluentd: { host: HOST, port: port('FLUENTD_PORT') },
    fluentd_monitor: `http://${HOST}:${port('FLUENTD_MONITOR_PORT')}`,
    s3: `http://${HOST}:${port('S3_PORT')}`,
    docker: {},
    composeProject: vars.COMPOSE_PROJECT_NAME || 'dstack',
  };
  const json = env.TUTORIAL_ENDPOINTS;
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(json, 'utf8'));
    } catch (err) {
      throw new TypeError(`The endpoints file ${json} (TUTORIAL_ENDPOINTS) could not be read as JSON: ${(err as Error).message}`);
    }
    merged = { ...merged, ...(parsed as object) };
  }
  for (const [key, name] of Object.entries(URL_VARS)) {
    const v = env[name];
    if (v) merged[key] = v.replace(/\/+$/, '');
  }
  // Without a class server, the team's services are the learner's own.
  merged.team_mlflow ??= merged.mlflow;
  merged.team_s3 ??= merged.s3;
  if (env.TUTORIAL_FLUENTD_PORT) merged.fluentd = { ...(merged.fluentd as object), port: Number(env.TUTORIAL_FLUENTD_PORT) };
  if (env.TUTORIAL_COMPOSE_PROJECT) merged.composeProject = env.TUTORIAL_COMPOSE_PROJECT;
  const r = EndpointsSchema.safeParse(merged);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new TypeError(`The service endpoints are not valid: ${first?.path.join('.')}: ${first?.message}.`);
  }
  return r.data;
}

/** The stack as the repository's compose/.env describes it, before any workspace or variable. */
export const DEFAULT_ENDPOINTS: Endpoints = loadEndpoints({ env: {} });

/**
 * Endpoints that follow the workspace's compose/.env: read at the first call and again whenever
 * that file (or the TUTORIAL_ENDPOINTS file) has changed, so a port moved while the server runs
 * takes effect at the next check, status poll or new shell. A file that has become invalid keeps
 * the last good endpoints and is reported once through `log`; invalid at the first read, it throws.
 */
export function watchEndpoints(o: EndpointsOptions & { log?: (line: string) => void } = {}): () => Endpoints {
  let seen: string | undefined;
  let last: Endpoints | undefined;
  return () => {
    const env = o.env ?? process.env;
    const version = `${fileVersion(composeEnvFile(o.workspace))}|${fileVersion(env.TUTORIAL_ENDPOINTS)}`;
    if (last && version === seen) return last;
    seen = version;
    try {
      last = loadEndpoints(o);
    } catch (err) {
      if (!last || !(err instanceof TypeError)) throw err;
      o.log?.(`${err.message} The tutorial keeps using the addresses it had until the file is fixed.`);
    }
    return last;
  };
}

/** The names of the variables the tutorial's shells and checks get from stackVariables. */
export const STACK_VARIABLES = [
  'ES_URL',
  'KIBANA_URL',
  'MLFLOW_TRACKING_URI',
  'ADMINER_URL',
  'FLUENTD_HOST',
  'FLUENTD_FORWARD_PORT',
  'FLUENTD_MONITOR_URL',
  'S3_ENDPOINT_URL',
  'TEAM_MLFLOW_TRACKING_URI',
  'TEAM_S3_ENDPOINT_URL',
  'MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD',
  'MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD',
] as const;

/**
 * The stack's addresses as environment variables, for the tutorial's shells and the checks'
 * commands; the chapters' commands and the workspace's scripts use them. None has the name of a
 * compose/.env variable (hence FLUENTD_FORWARD_PORT, not FLUENTD_PORT): `docker compose` lets the
 * shell's variables win over .env, so a shell opened before a port moved would otherwise start
 * the stack on the old port.
 */
export function stackVariables(e: Endpoints): Record<(typeof STACK_VARIABLES)[number], string> {
  return {
    ES_URL: e.es,
    KIBANA_URL: e.kibana,
    MLFLOW_TRACKING_URI: e.mlflow,
    ADMINER_URL: e.adminer,
    FLUENTD_HOST: e.fluentd.host,
    FLUENTD_FORWARD_PORT: String(e.fluentd.port),
    FLUENTD_MONITOR_URL: e.fluentd_monitor,
    S3_ENDPOINT_URL: e.s3,
    TEAM_MLFLOW_TRACKING_URI: e.team_mlflow,
    TEAM_S3_ENDPOINT_URL: e.team_s3,
    // Not an address, but what keeps the MLflow client on the server's address: MLflow 3.17 asks a
    // server whose artifacts are in S3 for presigned URLs and downloads from the S3 endpoint the
    // server uses (http://seaweedfs:8333), which only containers of the stack can reach.
    MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD: 'false',
    // The same for files of 500 MB or more on the way up: the client would send their parts to
    // presigned URLs of http://seaweedfs:8333 and fail with "Failed to resolve 'seaweedfs'".
    MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'false',
  };
}

/**
 * `base` with the stack's variables, read from `source` each time the environment is copied
 * (`{ ...env }`): a shell started after compose/.env changed gets the new addresses.
 */
export function withStackVariables(base: NodeJS.ProcessEnv, source: EndpointsSource): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of STACK_VARIABLES) {
    Object.defineProperty(env, name, { enumerable: true, configurable: true, get: () => stackVariables(endpointsNow(source))[name] });
  }
  return env;
}

/** The host ports the stack publishes, by compose/.env variable (for the preflight). */
export function publishedPorts(e: Endpoints): { name: PortVariable; port: number }[] {
  const of = (url: string) => Number(new URL(url).port || 80);
  return [
    { name: 'ES_PORT', port: of(e.es) },
    { name: 'KIBANA_PORT', port: of(e.kibana) },
    { name: 'FLUENTD_PORT', port: e.fluentd.port },
    { name: 'FLUENTD_MONITOR_PORT', port: of(e.fluentd_monitor) },
    { name: 'MLFLOW_PORT', port: of(e.mlflow) },
    { name: 'ADMINER_PORT', port: of(e.adminer) },
    { name: 'S3_PORT', port: of(e.s3) },
  ];
}
