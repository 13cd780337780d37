import type { Endpoints } from '../stack/endpoints.ts';

/**
 * The placeholders a probe spec may use, e.g. `{{es}}/_cluster/health` or `port: "{{fluentd_port}}"`.
 * The service addresses come from server/stack/endpoints.ts, so they follow the workspace's compose/.env.
 */
export const PLACEHOLDER_NAMES = [
  'es',
  'kibana',
  'mlflow',
  'adminer',
  'fluentd_host',
  'fluentd_port',
  'fluentd_monitor',
  's3',
  'team_mlflow',
  'team_s3',
  'workspace',
  'marker',
] as const;
export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];

const PLACEHOLDER = /\{\{\s*([a-zA-Z_]+)\s*\}\}/g;

/** Raised when a step's check needs the marker of a run that has not happened yet. */
export class MissingMarkerError extends Error {
  override name = 'MissingMarkerError';
}

/** The value of each placeholder; `marker` is absent when the step has no current attempt. */
export function placeholderValues(endpoints: Endpoints, workspace: string, marker?: string): Partial<Record<PlaceholderName, string>> {
  return {
    es: endpoints.es,
    kibana: endpoints.kibana,
    mlflow: endpoints.mlflow,
    adminer: endpoints.adminer,
    fluentd_host: endpoints.fluentd.host,
    fluentd_port: String(endpoints.fluentd.port),
    fluentd_monitor: endpoints.fluentd_monitor,
    s3: endpoints.s3,
    team_mlflow: endpoints.team_mlflow,
    team_s3: endpoints.team_s3,
    workspace,
    marker,
  };
}

/** Every placeholder name used in the strings of a value (objects and arrays are walked). */
export function placeholdersIn(value: unknown): Set<string> {
  const found = new Set<string>();
  walkStrings(value, (s) => {
    for (const m of s.matchAll(PLACEHOLDER)) found.add(m[1]!);
    return s;
  });
  return found;
}

/**
 * Returns a copy of `value` with every `{{name}}` in every string replaced by its value.
 * An unknown name is a bug in the content and throws a RangeError; `{{marker}}` without a
 * marker throws a MissingMarkerError, which the engine turns into a result for the learner.
 */
export function fillPlaceholders<T>(value: T, values: Partial<Record<PlaceholderName, string>>): T {
  return walkStrings(value, (s) =>
    s.replace(PLACEHOLDER, (_all, name: string) => {
      if (!(PLACEHOLDER_NAMES as readonly string[]).includes(name)) {
        throw new RangeError(
          `The placeholder {{${name}}} is not known; use one of ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ')}.`,
        );
      }
      const v = values[name as PlaceholderName];
      if (v === undefined) throw new MissingMarkerError(`The placeholder {{${name}}} has no value yet.`);
      return v;
    }),
  ) as T;
}

function walkStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => walkStrings(v, f));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walkStrings(v, f)]));
  }
  return value;
}
