import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { serviceProbes } from '../../../server/stack/status.ts';
import { venvBin } from '../../helpers/env.ts';
import { type MlflowServer, startMlflowServer } from '../../helpers/mlflow-server.ts';
import { freePort } from '../../helpers/net.ts';
import { type Seaweedfs, startSeaweedfs } from '../../helpers/seaweedfs.ts';

/**
 * The stack's S3 storage for real: SeaweedFS's own `weed` (built from its Go module by
 * tests/services/seaweedfs.sh) started as compose/docker-compose.yml starts it, on ports of its
 * own on 127.0.0.1. What it answers to the failures learners meet (the hints of "Work as a team"
 * quote these answers), a real MLflow server keeping its artifacts in its bucket while clients
 * hold no S3 credentials, DVC pushing to it and pulling the same bytes into a clone, and the stack
 * panel's light for it.
 */

const run = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../../workspace');
const BUCKETS = { mlflow: 'mlflow-artifacts', dvc: 'dvc' };

let s3: Seaweedfs;
let mlflow: MlflowServer | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'integration-s3-'));

/** The S3 error of a request, as botocore (DVC's S3 client, under s3fs) reports it. */
const ANSWERS = `
import sys, json, datetime
import botocore.session, botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError
endpoint, key, secret, bucket = sys.argv[1:5]
def client(k, s):
    return botocore.session.get_session().create_client('s3', endpoint_url=endpoint, aws_access_key_id=k,
        aws_secret_access_key=s, region_name='us-east-1',
        config=Config(retries={'max_attempts': 1}, s3={'addressing_style': 'path'}))
def answer(f):
    try:
        f()
        return {'ok': True}
    except ClientError as e:
        return {'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'code': e.response['Error'].get('Code'),
                'message': e.response['Error'].get('Message')}
out = {'buckets': sorted(b['Name'] for b in client(key, secret).list_buckets()['Buckets'])}
out['right'] = answer(lambda: client(key, secret).list_objects_v2(Bucket=bucket))
out['wrongSecret'] = answer(lambda: client(key, 'not-the-secret').list_objects_v2(Bucket=bucket))
out['unknownKey'] = answer(lambda: client('nobody', secret).list_objects_v2(Bucket=bucket))
out['missingBucket'] = answer(lambda: client(key, secret).list_objects_v2(Bucket='no-such-bucket'))
# A laptop whose clock is 30 minutes off signs with that time.
now = botocore.auth.get_current_datetime
botocore.auth.get_current_datetime = lambda *a, **k: now(*a, **k) + datetime.timedelta(minutes=30)
out['skewedClock'] = answer(lambda: client(key, secret).list_objects_v2(Bucket=bucket))
print(json.dumps(out))
`;

/** Runs a command in a folder with the venv first on PATH; resolves with its output whatever its status. */
async function sh(cwd: string, command: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  const path = `${join(venvBin('python'), '..')}:${process.env.PATH}`;
  try {
    const r = await run('bash', ['-c', `${command} 2>&1`], { cwd, env: { ...process.env, PATH: path, ...env }, timeout: 300_000 });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: e.stdout ?? '' };
  }
}

/** The keys under a prefix of a bucket, listed with workspace/data/bucket.py as the chapter does. */
async function keys(bucket: string, prefix = ''): Promise<string> {
  const r = await sh(WORKSPACE, `python data/bucket.py ls ${bucket} ${prefix}`, {
    S3_ENDPOINT_URL: s3.s3,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
  });
  expect(r.code, r.out).toBe(0);
  return r.out;
}

beforeAll(async () => {
  s3 = await startSeaweedfs({ buckets: Object.values(BUCKETS) });
});

afterAll(async () => {
  await mlflow?.stop();
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('SeaweedFS (weed mini) as the stack runs it', () => {
  it('makes both buckets at start, and answers the failures learners meet with these S3 errors', async () => {
    const { stdout } = await run(venvBin('python'), ['-c', ANSWERS, s3.s3, s3.accessKey, s3.secretKey, BUCKETS.dvc], { timeout: 60_000 });
    const a = JSON.parse(stdout) as Record<string, { status?: number; code?: string; message?: string; ok?: boolean }> & {
      buckets: string[];
    };
    console.log(`SeaweedFS's answers: ${JSON.stringify(a, null, 1)}`);
    expect(a.buckets).toEqual(['dvc', 'mlflow-artifacts']);
    expect(a.right).toEqual({ ok: true });
    expect(a.wrongSecret).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(a.unknownKey).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    expect(a.missingBucket).toMatchObject({ status: 404, code: 'NoSuchBucket' });
    expect(a.skewedClock).toMatchObject({ status: 403, code: 'RequestTimeTooSkewed' });
    // Without a signature at all (no credentials): refused, since the server has an identity.
    const anonymous = await fetch(`${s3.s3}/${BUCKETS.dvc}?list-type=2`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  });

  // Each client command imports mlflow (seconds, more on a busy machine), and the server creates its tables first.
  it('keeps what MLflow logs as objects in its bucket, while the client has no S3 credentials', { timeout: 600_000 }, async () => {
    mlflow = await startMlflowServer({
      artifactsDestination: `s3://${BUCKETS.mlflow}`,
      env: { MLFLOW_S3_ENDPOINT_URL: s3.s3, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey },
    });
    const client = { MLFLOW_TRACKING_URI: mlflow.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', MLFLOW_S3_ENDPOINT_URL: '' };
    const logged = await sh(WORKSPACE, 'python mlflow/team.py log --member you && python mlflow/team.py log --member teammate', client);
    expect(logged.code, logged.out).toBe(0);
    const runId = /Run id: (\w+) by you/.exec(logged.out)?.[1];
    expect(runId, logged.out).toBeTruthy();
    expect(logged.out).toContain('Model files: mlflow-artifacts:/');
    expect(await keys(BUCKETS.mlflow)).toMatch(new RegExp(`/${runId}/artifacts/model/coefficients\\.json\\n`));
    const runs = await sh(WORKSPACE, 'python mlflow/team.py runs', client);
    expect(runs.out).toContain('members: teammate, you');
    const registered = await sh(WORKSPACE, 'python mlflow/team.py register --member you && python mlflow/team.py load', client);
    expect(registered.code, registered.out).toBe(0);
    expect(registered.out).toContain(`Registered team-model version 1 from run ${runId} by you`);
    expect(registered.out).toContain('member: you');
  });

  it('takes DVC pushes to s3://dvc with an endpointurl, and a clone pulls the same md5', { timeout: 600_000 }, async () => {
    const setup = await sh(
      scratch,
      [
        'git init -q repo && cd repo',
        'git config user.name T && git config user.email t@example.invalid',
        'dvc init -q && dvc config core.analytics false',
        `python ${WORKSPACE}/data/make_dataset.py --version 2 --output data/sensors.csv`,
        'dvc add -q data/sensors.csv',
        'dvc remote add -d team s3://dvc/sensors',
        `dvc remote modify team endpointurl ${s3.s3}`,
        `dvc remote modify --local team access_key_id ${s3.accessKey}`,
        `dvc remote modify --local team secret_access_key ${s3.secretKey}`,
        'git add -A && git commit -qm data',
        'dvc push',
      ].join(' && '),
    );
    expect(setup.code, setup.out).toBe(0);
    expect(await keys(BUCKETS.dvc, 'sensors/')).toContain('sensors/files/md5/12/da85dd8ab2da9af51812f4bb26e588\n');
    const pulled = await sh(
      scratch,
      `git clone -q repo clone && cp repo/.dvc/config.local clone/.dvc/ && cd clone && dvc pull && md5sum data/sensors.csv`,
    );
    expect(pulled.code, pulled.out).toBe(0);
    expect(pulled.out).toContain('12da85dd8ab2da9af51812f4bb26e588  data/sensors.csv');
  });

  it("says what the chapter's hints quote when `dvc push` meets a wrong endpoint, no credentials, a wrong key, a skewed clock or a missing bucket", {
    timeout: 600_000,
  }, async () => {
    const repo = join(scratch, 'repo');
    const closed = `http://127.0.0.1:${await freePort()}`;
    // Data the bucket does not hold yet, so that every push has something to send.
    const fresh = await sh(
      repo,
      'echo "$RANDOM $RANDOM" > data/extra.txt && dvc add -q data/extra.txt && cp .dvc/config.local .dvc/config.local.good',
    );
    expect(fresh.code, fresh.out).toBe(0);
    // A laptop whose clock is 30 minutes off: DVC itself, with botocore's clock moved.
    const skewed = `python -c "import datetime, sys, botocore.auth; now = botocore.auth.get_current_datetime; botocore.auth.get_current_datetime = lambda *a, **k: now(*a, **k) + datetime.timedelta(minutes=30); from dvc.cli import main; sys.exit(main(['push']))"`;
    const cases: [string, string, string, RegExp][] = [
      ['wrong endpoint', `dvc remote modify --local team endpointurl ${closed}`, 'dvc push', /Could not connect to the endpoint URL/],
      [
        'no credentials',
        'dvc remote modify --local --unset team access_key_id && dvc remote modify --local --unset team secret_access_key',
        'dvc push',
        /Unable to locate credentials/,
      ],
      // DVC asks with HeadObject (whose 403 has no body, so only "Forbidden") or lists the remote
      // (ListObjectsV2, whose 403 names the reason), depending on how much it has to compare.
      [
        'wrong secret',
        'dvc remote modify --local team secret_access_key not-the-secret',
        'dvc push',
        /Forbidden: An error occurred \(403\) when calling the HeadObject operation|\(SignatureDoesNotMatch\)/,
      ],
      [
        'skewed clock',
        'true',
        skewed,
        /Forbidden: An error occurred \(403\) when calling the HeadObject operation|\(RequestTimeTooSkewed\)/,
      ],
      [
        'missing bucket',
        'dvc remote modify --local team url s3://dvc-typo/sensors',
        'dvc push',
        /The specified bucket does not exist: An error occurred \(NoSuchBucket\)/,
      ],
    ];
    // No credentials from the environment or ~/.aws: only what .dvc/config.local says.
    const isolated = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'none'),
      AWS_CONFIG_FILE: join(scratch, 'none'),
    };
    for (const [name, change, push, said] of cases) {
      const r = await sh(repo, `cp .dvc/config.local.good .dvc/config.local && ${change} && ${push}`, isolated);
      console.log(`dvc push, ${name}: ${r.out.trim().split('\n')[0]}`);
      expect(r.code, `${name}: ${r.out}`).not.toBe(0);
      expect(r.out, name).toMatch(said);
    }
    const good = await sh(repo, 'cp .dvc/config.local.good .dvc/config.local && dvc push', isolated);
    expect(good.out).toContain('1 file pushed');
  });
});

// Here rather than in a file of its own: one weed start serves both.
describe('the stack panel (server/stack/status.ts) against the same real weed', () => {
  const light = (url: string) => serviceProbes({ ...DEFAULT_ENDPOINTS, s3: url }).seaweedfs.ask(AbortSignal.timeout(10_000));

  it('knows its S3 API as SeaweedFS, with its version', async () => {
    const r = await light(s3.s3);
    expect(r.state).toBe('up');
    expect(r.detail).toMatch(/^SeaweedFS \d+\.\d+\S*$/);
  });

  it("shows SeaweedFS's filer, which names itself the same way, as something else on the S3 port", async () => {
    expect(await light(s3.filer)).toEqual({ state: 'other', detail: 'something else answers on this port' });
  });
});
