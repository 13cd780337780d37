import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_ENDPOINTS } from '../../server/stack/endpoints.ts';

/**
 * The project's rules for the compose stack (compose/), checked on the files themselves, and
 * the file checked against the Compose Specification's JSON schema. No Docker needed: this
 * machine's engine has no compose plugin (`docker compose version` fails), so the schema that
 * dclint ships (a copy of compose-spec's compose_spec.json, pinned with dclint in
 * package.json) stands in for `docker compose config`.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const COMPOSE_DIR = join(ROOT, 'compose');
const composeText = readFileSync(join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8');
const envFile = parseEnvFile(readFileSync(join(COMPOSE_DIR, '.env'), 'utf8'));
const raw = parse(composeText) as ComposeFile;
const compose = interpolate(raw, envFile) as ComposeFile;

/** The one database name the project uses everywhere. */
const DATABASE = 'mlflow';

interface Service {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  pull_policy?: string;
  command?: string[] | string;
  environment?: string[] | Record<string, string>;
  ports?: (string | { host_ip?: string; published?: string | number })[];
  volumes?: string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  mem_limit?: string | number;
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** KEY=VALUE lines, # comments and blank lines, as Compose reads a .env file (no quotes used here). */
function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq < 1) throw new Error(`compose/.env: not KEY=VALUE: ${line}`);
    vars[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return vars;
}

/**
 * Compose's variable interpolation (`$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`), from .env only, so the result does not depend
 * on the shell running the test. An unset `:?` variable throws, as `docker compose` would.
 */
function interpolate(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (all, name, op, arg, bare) => {
        if (all === '$$') return '$';
        const key = (name ?? bare) as string;
        const v = vars[key];
        const set = v !== undefined;
        const nonEmpty = set && v !== '';
        switch (op as string | undefined) {
          case undefined:
            return v ?? '';
          case ':-':
            return nonEmpty ? v : arg;
          case '-':
            return set ? v : arg;
          case ':?':
          case '?':
            if (op === ':?' ? !nonEmpty : !set) throw new Error(`${key} is not set in compose/.env: ${arg}`);
            return v;
          case ':+':
            return nonEmpty ? arg : '';
          default:
            return all;
        }
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  }
  return value;
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

function commandOf(service: Service): string[] {
  const c = service.command ?? [];
  return Array.isArray(c) ? c : c.split(/\s+/);
}

/** The value of `--name=value` (or `--name value`) in a command line. */
function flag(cmd: string[], name: string): string | undefined {
  const i = cmd.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return cmd[i]!.includes('=') ? cmd[i]!.slice(name.length + 1) : cmd[i + 1];
}

function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

function filesUnder(dir: string, pattern: RegExp): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(filesUnder(path, pattern));
    else if (pattern.test(name)) out.push(path);
  }
  return out;
}

const services = Object.entries(compose.services);
const rawServices = raw.services;

describe('compose/docker-compose.yml: project rules', () => {
  it('has the fixed project name dstack, the same in .env and in server/stack/endpoints.ts', () => {
    expect(compose.name).toBe('dstack');
    expect(envFile.COMPOSE_PROJECT_NAME).toBe('dstack');
    expect(DEFAULT_ENDPOINTS.composeProject).toBe('dstack');
  });

  it('defines the seven services of the stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'adminer',
      'elasticsearch',
      'fluentd',
      'kibana',
      'mlflow',
      'postgres',
      'seaweedfs',
    ]);
  });

  it('pins every image to a tag taken from .env, never latest', () => {
    for (const [name, service] of services) {
      const image = service.image;
      expect(image, `${name} has an image`).toBeTruthy();
      // The tag is whatever follows the last colon that comes after the last slash.
      const lastPart = image!.slice(image!.lastIndexOf('/') + 1);
      expect(lastPart, `${name}: ${image} has a tag`).toContain(':');
      const tag = lastPart.slice(lastPart.indexOf(':') + 1);
      expect(tag, `${name}: ${image}`).not.toBe('latest');
      expect(tag, `${name}: ${image}`).toMatch(/\d/);
      // The version comes from .env (one place to upgrade), not written into the service.
      expect(rawServices[name]!.image, `${name} takes its version from compose/.env`).toMatch(/\$\{[A-Z_]+(?::\?[^}]*)?\}/);
    }
    for (const [key, value] of Object.entries(envFile)) {
      if (key.endsWith('_IMAGE')) expect(value, key).toMatch(/:[^:/]*\d[^:/]*$/);
      // A base image's tag alone (the Dockerfile names the image): FROM python:${PYTHON_IMAGE_TAG}.
      if (key.endsWith('_IMAGE_TAG')) expect(value, key).toMatch(/^[\w.-]*\d[\w.-]*$/);
      expect(value, key).not.toMatch(/:latest$/);
    }
  });

  it('builds fluentd and mlflow with .env versions, and the Dockerfiles default to the same ones', () => {
    for (const name of ['fluentd', 'mlflow']) {
      const service = compose.services[name]!;
      expect(service.build?.args, name).toBeTruthy();
      const dockerfile = readFileSync(join(COMPOSE_DIR, service.build!.context, 'Dockerfile'), 'utf8');
      for (const [arg, value] of Object.entries(service.build!.args!)) {
        expect(value, `${name} build arg ${arg}`).toBe(envFile[arg]);
        // A bare `docker build` of the folder gives the same image as compose.
        expect(dockerfile, `${name}/Dockerfile ARG ${arg}`).toContain(`ARG ${arg}=${value}\n`);
      }
      // The base image's tag comes from a build argument, so it is pinned in .env too.
      expect(dockerfile).toMatch(/^FROM [a-z0-9./-]+:\$\{[A-Z_]+_IMAGE_TAG\}$/m);
    }
  });

  it('never pulls the images it builds, and names them by every build input', () => {
    for (const name of ['fluentd', 'mlflow']) {
      const service = compose.services[name]!;
      // Without it, `up` asks a registry for the image first ("pull access denied"), and would
      // run whatever someone published under that name.
      expect(service.pull_policy, name).toBe('build');
      // A changed .env value changes the tag: the image says what it was built from.
      for (const [arg, value] of Object.entries(service.build!.args!)) expect(service.image, `${name} tag has ${arg}`).toContain(value);
    }
    for (const [name, service] of services) if (!service.build) expect(service.pull_policy, name).toBeUndefined();
  });

  it("pins every Python package of the MLflow image with its hashes, at .env's versions", () => {
    const lock = readFileSync(join(COMPOSE_DIR, 'mlflow', 'requirements.txt'), 'utf8');
    const requirements = lock.split(/\n(?=[a-z0-9])/i).filter((r) => /^[a-z0-9]/i.test(r));
    expect(requirements.length).toBeGreaterThan(50);
    for (const r of requirements) {
      expect(r, r.split('\n')[0]).toMatch(/^[a-z0-9._-]+==[\w.+!-]+ \\\n/i);
      expect(r, r.split('\n')[0]).toMatch(/--hash=sha256:[0-9a-f]{64}/);
    }
    expect(lock).toMatch(new RegExp(`^mlflow==${envFile.MLFLOW_VERSION!.replaceAll('.', '\\.')} \\\\$`, 'm'));
    expect(lock).toMatch(new RegExp(`^psycopg2-binary==${envFile.PSYCOPG2_VERSION!.replaceAll('.', '\\.')} \\\\$`, 'm'));
    const input = readFileSync(join(COMPOSE_DIR, 'mlflow', 'requirements.in'), 'utf8');
    expect(input.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      `mlflow==${envFile.MLFLOW_VERSION}`,
      `psycopg2-binary==${envFile.PSYCOPG2_VERSION}`,
      // MLflow's S3 client, for the artifacts in the stack's object storage.
      expect.stringMatching(/^boto3==\d+\.\d+\.\d+$/),
    ]);
    const dockerfile = readFileSync(join(COMPOSE_DIR, 'mlflow', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/pip install --no-cache-dir --require-hashes --only-binary=:all: -r \/tmp\/requirements\.txt/);
  });

  it('publishes every port on 127.0.0.1 only, each host port overridable by a variable', () => {
    for (const [name, service] of services) {
      for (const [i, port] of (service.ports ?? []).entries()) {
        expect(typeof port, `${name} port ${i} uses the short syntax`).toBe('string');
        expect(port as string, `${name} port ${i}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        const rawPort = rawServices[name]!.ports![i] as string;
        expect(rawPort, `${name} port ${i}`).toMatch(/^127\.0\.0\.1:\$\{[A-Z0-9_]+_PORT:-\d+\}:\d+$/);
      }
    }
    // The ports the server's endpoints expect by default.
    const published = (name: string) => (compose.services[name]!.ports ?? []).map((p) => Number((p as string).split(':')[1]));
    expect(published('elasticsearch')).toEqual([new URL(DEFAULT_ENDPOINTS.es).port].map(Number));
    expect(published('kibana')).toEqual([new URL(DEFAULT_ENDPOINTS.kibana).port].map(Number));
    expect(published('mlflow')).toEqual([new URL(DEFAULT_ENDPOINTS.mlflow).port].map(Number));
    expect(published('adminer')).toEqual([new URL(DEFAULT_ENDPOINTS.adminer).port].map(Number));
    expect(published('seaweedfs')).toEqual([new URL(DEFAULT_ENDPOINTS.s3).port].map(Number));
    expect(published('fluentd')).toEqual([DEFAULT_ENDPOINTS.fluentd.port, Number(new URL(DEFAULT_ENDPOINTS.fluentd_monitor).port)]);
  });

  it('gives every service (all are long-running) a healthcheck', () => {
    for (const [name, service] of services) {
      expect(service.healthcheck?.test, `${name} healthcheck`).toBeTruthy();
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect(service.healthcheck?.test, name).not.toEqual(['NONE']);
    }
    // Over TCP: the image's temporary init server answers on the Unix socket only.
    expect(compose.services.postgres!.healthcheck!.test).toEqual(['CMD-SHELL', `pg_isready -h 127.0.0.1 -U ${DATABASE} -d ${DATABASE}`]);
    expect(JSON.stringify(compose.services.elasticsearch!.healthcheck!.test)).toContain('_cluster/health');
    expect(JSON.stringify(compose.services.kibana!.healthcheck!.test)).toContain('/api/status');
    expect(JSON.stringify(compose.services.mlflow!.healthcheck!.test)).toContain('/health');
    // The S3 gateway answers, and both buckets exist (they are made after it starts listening).
    const s3 = JSON.stringify(compose.services.seaweedfs!.healthcheck!.test);
    for (const part of ['8333/healthz', `/buckets/${envFile.S3_BUCKET_MLFLOW}/`, `/buckets/${envFile.S3_BUCKET_DVC}/`])
      expect(s3).toContain(part);
  });

  it('starts dependants only once their dependency is healthy', () => {
    expect(compose.services.kibana!.depends_on).toEqual({ elasticsearch: { condition: 'service_healthy' } });
    expect(compose.services.mlflow!.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      seaweedfs: { condition: 'service_healthy' },
    });
  });

  it('limits every container by what it was measured or documented to need, about 5.9 GiB in all', () => {
    const bytes = (v: string | number) => {
      if (typeof v === 'number') return v;
      const m = /^(\d+)([kmg]?)b?$/i.exec(v);
      if (!m) throw new Error(`Unreadable memory limit ${v}`);
      return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
    };
    let total = 0;
    for (const [name, service] of services) {
      expect(service.mem_limit, `${name} mem_limit`).toBeDefined();
      total += bytes(service.mem_limit!);
    }
    // The figure README.md, the start-the-stack chapter and the file's own header state.
    expect((total / 1024 ** 3).toFixed(1)).toBe('5.9');
    expect(composeText).toContain('Memory limits add up to about 5.9 GiB');
    // Elasticsearch's heap is fixed and fits well inside its container.
    const es = environmentOf(compose.services.elasticsearch!);
    expect(es.ES_JAVA_OPTS).toBe('-Xms512m -Xmx512m');
    expect(bytes(compose.services.elasticsearch!.mem_limit!)).toBeGreaterThanOrEqual(2 * 512 * 1024 ** 2);
    // Kibana: a heap above the ~600 MB it needs to start, and room outside the heap (Node's code,
    // buffers and native memory) up to Elastic's current default of 2 GiB per Kibana.
    const heap = Number(/--max-old-space-size=(\d+)/.exec(environmentOf(compose.services.kibana!).NODE_OPTIONS ?? '')?.[1]);
    expect(heap).toBeGreaterThanOrEqual(1024);
    expect(bytes(compose.services.kibana!.mem_limit!)).toBeGreaterThanOrEqual(2 * 1024 ** 3);
    expect(heap * 1024 ** 2).toBeLessThanOrEqual(bytes(compose.services.kibana!.mem_limit!) / 2);
    // MLflow's 1 GiB holds only without MLflow 3's background job execution (about 1.8 GB with it).
    expect(environmentOf(compose.services.mlflow!).MLFLOW_SERVER_ENABLE_JOB_EXECUTION).toBe('false');
  });

  it('runs Elasticsearch as a local single node without security, and Kibana on the same version', () => {
    const es = environmentOf(compose.services.elasticsearch!);
    expect(es['discovery.type']).toBe('single-node');
    // Disk watermarks for a laptop, as Elastic's start-local: act only below 1 GB free.
    for (const level of ['low', 'high', 'flood_stage']) expect(es[`cluster.routing.allocation.disk.watermark.${level}`], level).toBe('1gb');
    expect(es['xpack.security.enabled']).toBe('false');
    const esTag = compose.services.elasticsearch!.image!.split(':').pop();
    const kibanaTag = compose.services.kibana!.image!.split(':').pop();
    expect(kibanaTag).toBe(esTag);
    expect(environmentOf(compose.services.kibana!).ELASTICSEARCH_HOSTS).toBe('http://elasticsearch:9200');
  });

  it("pins fluentd's elasticsearch client gem to the Elasticsearch server's major, with the matching plugin major", () => {
    const server = majorOf(envFile.ELASTIC_VERSION!);
    expect(majorOf(envFile.ELASTICSEARCH_GEM_VERSION!)).toBe(server);
    // Plugin 5.x speaks to Elasticsearch 8; 6.x sends the ES 9 media types.
    expect(majorOf(envFile.FLUENT_PLUGIN_ELASTICSEARCH_VERSION!)).toBe(server >= 9 ? 6 : 5);
    const dockerfile = readFileSync(join(COMPOSE_DIR, 'fluentd', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/gem install --no-document elasticsearch -v "\$\{ELASTICSEARCH_GEM_VERSION\}"/);
    expect(dockerfile).toMatch(
      /gem install [^\n]*--conservative fluent-plugin-elasticsearch -v "\$\{FLUENT_PLUGIN_ELASTICSEARCH_VERSION\}"/,
    );
    expect(envFile.FLUENTD_IMAGE_TAG).toMatch(/^v1\.19\.\d+-debian-[\d.]+$/);
  });

  it(`names one database, ${DATABASE}, everywhere: PostgreSQL, its healthcheck, MLflow's backend URI and the docs`, () => {
    const pg = environmentOf(compose.services.postgres!);
    expect(pg.POSTGRES_DB).toBe(DATABASE);
    const uri = new URL(flag(commandOf(compose.services.mlflow!), '--backend-store-uri')!);
    // +psycopg2: SQLAlchemy 2.1 would otherwise look for psycopg 3.
    expect(uri.protocol).toBe('postgresql+psycopg2:');
    expect(uri.hostname).toBe('postgres');
    expect(uri.pathname).toBe(`/${DATABASE}`);
    expect(uri.username).toBe(pg.POSTGRES_USER);
    expect(uri.password).toBe(pg.POSTGRES_PASSWORD);

    // Prose that names a database (`database \`x\``) in compose/, workspace/ and content/.
    const docs = [
      join(COMPOSE_DIR, 'docker-compose.yml'),
      ...filesUnder(join(ROOT, 'workspace'), /\.(md|py|ya?ml|ini)$/),
      ...filesUnder(join(ROOT, 'content'), /\.mdx?$/),
    ];
    for (const file of docs) {
      // Paragraph by paragraph (an aside is one block), so that an aside about the 2021 guide
      // may quote the guide's other name on purpose.
      for (const block of readFileSync(file, 'utf8').split(/\n\s*\n/)) {
        if (/2021|original guide|old guide|original compose/i.test(block)) continue;
        const where = `${relative(ROOT, file)}: ${block.trim().slice(0, 120)}`;
        // "database `x`" in prose, "| Database | `x` |" in a table.
        for (const m of block.matchAll(/databases?\s*\|?\s*`([A-Za-z0-9_-]+)`/gi)) expect(m[1], where).toBe(DATABASE);
        expect(block, where).not.toContain('mlflow-postgres');
      }
    }
  });

  it("serves MLflow artifacts through the server, from SeaweedFS's bucket, with the allowed hosts the learner uses", () => {
    const cmd = commandOf(compose.services.mlflow!);
    expect(cmd).toContain('--serve-artifacts');
    expect(flag(cmd, '--artifacts-destination')).toBe(`s3://${envFile.S3_BUCKET_MLFLOW}`);
    expect(flag(cmd, '--default-artifact-root')).toBeUndefined();
    // The server alone holds the S3 credentials, the same the storage server was started with.
    const ml = environmentOf(compose.services.mlflow!);
    const s3 = environmentOf(compose.services.seaweedfs!);
    expect(ml.MLFLOW_S3_ENDPOINT_URL).toBe('http://seaweedfs:8333');
    expect([ml.AWS_ACCESS_KEY_ID, ml.AWS_SECRET_ACCESS_KEY]).toEqual([envFile.S3_ACCESS_KEY, envFile.S3_SECRET_KEY]);
    expect([s3.AWS_ACCESS_KEY_ID, s3.AWS_SECRET_ACCESS_KEY]).toEqual([envFile.S3_ACCESS_KEY, envFile.S3_SECRET_KEY]);
    // Both buckets are made at start; the data lives in a named volume.
    const weed = commandOf(compose.services.seaweedfs!);
    expect(weed[0]).toBe('mini');
    expect(flag(weed, '-bucket')).toBe(`${envFile.S3_BUCKET_MLFLOW},${envFile.S3_BUCKET_DVC}`);
    expect(flag(weed, '-master.telemetry')).toBe('false');
    const mount = (compose.services.seaweedfs!.volumes ?? []).find((v) => v.endsWith(':/data'));
    expect(Object.keys(compose.volumes ?? {})).toContain(mount!.split(':')[0]);
    const hosts = flag(cmd, '--allowed-hosts')!.split(',');
    const port = envFile.MLFLOW_PORT;
    expect(hosts).toEqual(expect.arrayContaining([`localhost:${port}`, `127.0.0.1:${port}`, 'mlflow:5000', 'mlflow']));
  });
});

describe('compose/fluentd/fluent.conf', () => {
  const conf = readFileSync(join(COMPOSE_DIR, 'fluentd', 'fluent.conf'), 'utf8');
  const directives = [...conf.matchAll(/^<(source|match [^>]+)>\n([\s\S]*?)^<\/(?:source|match)>/gm)].map((m) => ({
    head: m[1]!,
    body: m[2]!
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean),
  }));
  const setting = (body: string[], key: string) => body.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1);

  it('listens for the forward protocol on 24224 and serves monitor_agent on 24220 with retry state', () => {
    const sources = directives.filter((d) => d.head === 'source');
    const forward = sources.find((d) => setting(d.body, '@type') === 'forward')!;
    expect(setting(forward.body, 'port')).toBe('24224');
    const monitor = sources.find((d) => setting(d.body, '@type') === 'monitor_agent')!;
    expect(setting(monitor.body, 'port')).toBe('24220');
    expect(setting(monitor.body, 'include_retry')).toBe('true');
  });

  it('sends ds.** to Elasticsearch by service name, logstash-style, flushed within seconds', () => {
    const match = directives.find((d) => d.head === 'match ds.**')!;
    expect(setting(match.body, '@type')).toBe('elasticsearch');
    expect(setting(match.body, 'host')).toBe('elasticsearch');
    expect(setting(match.body, 'port')).toBe('9200');
    expect(setting(match.body, 'logstash_format')).toBe('true');
    expect(setting(match.body, 'include_timestamp')).toBe('true');
    const interval = /^(\d+)s$/.exec(setting(match.body, 'flush_interval') ?? '');
    expect(interval, 'flush_interval in seconds').toBeTruthy();
    expect(Number(interval![1])).toBeLessThanOrEqual(10);
  });

  it('gives every plugin an @id, so monitor_agent names it', () => {
    for (const d of directives) expect(setting(d.body, '@id'), d.head).toMatch(/^[a-z_]+$/);
  });
});

describe('compose/docker-compose.yml against the Compose Specification schema', () => {
  const require = createRequire(import.meta.url);
  const schemaPath = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  // The file declares draft-07 as https://json-schema.org/draft-07/schema, a spelling Ajv does
  // not know (it registers http://...#); draft-07 is Ajv's default dialect, so drop the marker.
  const { $schema: _dialect, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as { $schema?: string };
  // strict: false because the spec's schema uses keywords (e.g. patternProperties with ^x-)
  // that Ajv's strict mode flags as unusual, not wrong.
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('is valid after interpolation, as docker compose reads it', () => {
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects what Compose would reject (the validator really checks)', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.mlflow!.depends_on = { postgres: { condition: 'service_ready' } };
    broken.services.kibana!.mem_limt = '1g';
    expect(validate(broken)).toBe(false);
  });
});
