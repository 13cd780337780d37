import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Where the stack's services are. One configuration for the site, `npm run check` and
 * `npm run tutorial`, so the same chapters can be verified against services started another
 * way (a native MLflow server on PostgreSQL in CI, for instance).
 *
 * Sources, later ones win: the defaults (the compose stack on 127.0.0.1), a JSON file named by
 * TUTORIAL_ENDPOINTS, then one variable per service (TUTORIAL_ES_URL, ...).
 */
export const EndpointsSchema = z.strictObject({
  es: z.url(),
  kibana: z.url(),
  mlflow: z.url(),
  adminer: z.url(),
  fluentd: z.strictObject({ host: z.string(), port: z.number().int() }),
  fluentd_monitor: z.url(),
  postgres: z.strictObject({ host: z.string(), port: z.number().int() }),
  docker: z.strictObject({ socketPath: z.string().optional(), host: z.string().optional() }),
  /** The Compose project name of the stack (compose/.env sets the same). */
  composeProject: z.string(),
});
export type Endpoints = z.output<typeof EndpointsSchema>;

export const DEFAULT_ENDPOINTS: Endpoints = {
  es: 'http://127.0.0.1:9200',
  kibana: 'http://127.0.0.1:5601',
  mlflow: 'http://127.0.0.1:5000',
  adminer: 'http://127.0.0.1:8080',
  fluentd: { host: '127.0.0.1', port: 24224 },
  fluentd_monitor: 'http://127.0.0.1:24220',
  postgres: { host: '127.0.0.1', port: 5432 },
  docker: {},
  composeProject: 'dstack',
};

const URL_VARS = {
  es: 'TUTORIAL_ES_URL',
  kibana: 'TUTORIAL_KIBANA_URL',
  mlflow: 'TUTORIAL_MLFLOW_URL',
  adminer: 'TUTORIAL_ADMINER_URL',
  fluentd_monitor: 'TUTORIAL_FLUENTD_MONITOR_URL',
} as const;

/** Reads the endpoints from the defaults, the file in TUTORIAL_ENDPOINTS and the variables. */
export function loadEndpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  let merged: Record<string, unknown> = structuredClone(DEFAULT_ENDPOINTS);
  const file = env.TUTORIAL_ENDPOINTS;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new TypeError(`The endpoints file ${file} (TUTORIAL_ENDPOINTS) could not be read as JSON: ${(err as Error).message}`);
    }
    merged = { ...merged, ...(parsed as object) };
  }
  for (const [key, name] of Object.entries(URL_VARS)) {
    const v = env[name];
    if (v) merged[key] = v.replace(/\/+$/, '');
  }
  if (env.TUTORIAL_FLUENTD_PORT) merged.fluentd = { ...(merged.fluentd as object), port: Number(env.TUTORIAL_FLUENTD_PORT) };
  if (env.TUTORIAL_POSTGRES_PORT) merged.postgres = { ...(merged.postgres as object), port: Number(env.TUTORIAL_POSTGRES_PORT) };
  if (env.TUTORIAL_COMPOSE_PROJECT) merged.composeProject = env.TUTORIAL_COMPOSE_PROJECT;
  const r = EndpointsSchema.safeParse(merged);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new TypeError(`The service endpoints are not valid: ${first?.path.join('.')}: ${first?.message}.`);
  }
  return r.data;
}
