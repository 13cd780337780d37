import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, explainFailedCommand, withDiagnosis } from '../../../server/checks/diagnosis.ts';
import { SIGNATURES } from '../../../server/checks/signatures.ts';

const FLUENTD_FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'fluentd-1.19.3');
/** The last 50 lines of a recorded fluentd log, as `docker compose logs --tail 50` shows them. */
const tail50 = (file: string, upTo?: RegExp) => {
  const lines = readFileSync(join(FLUENTD_FIXTURES, file), 'utf8').split('\n');
  const end = upTo ? lines.findIndex((l) => upTo.test(l)) + 1 : lines.length;
  return lines.slice(Math.max(0, end - 50), end).join('\n');
};
const FLUENTD_LOG_RUNNING = tail50('fluentd-log-es-down.txt');
const FLUENTD_LOG_AT_START = tail50('fluentd-log-crash-loop-at-start.txt', /Worker 0 exited unexpectedly/);

/**
 * Each known failure of shared/STACK.md, fed with the text the real component prints, under the
 * evidence label the probe that gathers it uses.
 */
const CASES: { id: string; label: string; text: string; cause?: RegExp }[] = [
  {
    id: 'es-max-map-count',
    label: 'Container logs (last 50 lines)',
    text: '{"@timestamp":"2026-03-02T10:15:31.402Z", "log.level":"ERROR", "message":"node validation exception\\n[1] bootstrap checks failed. You must address the points described in the following [1] lines before starting Elasticsearch. For more information see [https://www.elastic.co/guide/en/elasticsearch/reference/8.19/bootstrap-checks.html]\\nbootstrap check failure [1] of [1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]; for more information see [https://www.elastic.co/guide/en/elasticsearch/reference/8.19/_maximum_map_count_check.html]", "ecs.version": "1.2.0","service.name":"ES_ECS","event.dataset":"elasticsearch.server","process.thread.name":"main","log.logger":"org.elasticsearch.bootstrap.Elasticsearch","elasticsearch.node.name":"es01","elasticsearch.cluster.name":"docker-cluster"}',
    cause: /vm\.max_map_count is 65530/,
  },
  {
    id: 'es-disk-flood-stage',
    label: 'HTTP response body',
    text: '{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"index [logstash-2026.03.02] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"}],"type":"cluster_block_exception","reason":"index [logstash-2026.03.02] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"},"status":429}',
  },
  {
    id: 'oom-killed',
    label: 'Container state',
    text: 'container dstack-elasticsearch-1, status exited, exit code 137, OOMKilled: true, health none, restarts 0',
  },
  { id: 'kibana-not-ready', label: 'HTTP response body', text: 'Kibana server is not ready yet' },
  {
    id: 'kibana-not-ready',
    label: 'Container logs (last 50 lines)',
    text: '[2026-03-02T10:16:02.113+00:00][ERROR][elasticsearch-service] Unable to retrieve version information from Elasticsearch nodes. connect ECONNREFUSED 172.18.0.2:9200',
  },
  {
    // fluentd 1.19.3 while running, Elasticsearch unreachable (the recording's first failure).
    id: 'fluentd-es-unreachable',
    label: 'Container logs (last 50 lines)',
    text: FLUENTD_LOG_RUNNING,
    cause: /^The fluentd container cannot reach Elasticsearch: a write failed/,
  },
  {
    // fluentd 1.19.3 started while Elasticsearch was unreachable: the worker's crash loop.
    id: 'fluentd-es-unreachable',
    label: 'Container logs (last 50 lines)',
    text: FLUENTD_LOG_AT_START,
    cause: /^The fluentd container cannot reach Elasticsearch: it asks Elasticsearch for its version while its worker starts/,
  },
  {
    id: 'fluentd-es-version-mismatch',
    label: 'Container logs (last 50 lines)',
    text: '2026-03-02 10:18:40 +0000 [warn]: #0 [es_output] failed to flush the buffer. retry_times=1 next_retry_time=2026-03-02 10:18:42 +0000 chunk="5f1c0b" error_class=Elasticsearch::Transport::Transport::Errors::BadRequest error="[400] {\\"error\\":{\\"root_cause\\":[{\\"type\\":\\"media_type_header_exception\\",\\"reason\\":\\"Invalid media-type value on headers [Content-Type, Accept]\\"}],\\"type\\":\\"media_type_header_exception\\",\\"reason\\":\\"Invalid media-type value on headers [Content-Type, Accept]\\",\\"caused_by\\":{\\"type\\":\\"status_exception\\",\\"reason\\":\\"Content-Type version must be either version 8 or 7, but found 9. Content-Type=application/vnd.elasticsearch+x-ndjson; compatible-with=9\\"}},\\"status\\":400}"',
  },
  {
    id: 'fluentd-es-version-mismatch',
    label: 'Container logs (last 50 lines)',
    text: '2026-03-02 10:18:40 +0000 [error]: #0 unexpected error error_class=Elasticsearch::UnsupportedProductError error="The client noticed that the server is not a supported distribution of Elasticsearch."',
  },
  { id: 'fluentd-not-listening', label: 'Connection', text: 'connect 127.0.0.1:24224: connection refused (ECONNREFUSED)' },
  {
    id: 'logging-config-not-found',
    label: 'Command output (last 40 lines)',
    text: 'Traceback (most recent call last):\n  File "/home/learner/ds-workspace/logging/logging_test.py", line 4, in <module>\n    logging.config.fileConfig("logging/logging.ini")\n  File "/usr/lib/python3.10/logging/config.py", line 72, in fileConfig\n    formatters = _create_formatters(cp)\n  File "/usr/lib/python3.10/logging/config.py", line 105, in _create_formatters\n    flist = cp["formatters"]["keys"]\n  File "/usr/lib/python3.10/configparser.py", line 964, in __getitem__\n    raise KeyError(key)\nKeyError: \'formatters\'',
  },
  {
    // What Python 3.11.7 here really prints (checked with python3 -c).
    id: 'logging-config-not-found',
    label: 'Command output (last 40 lines)',
    text: '  File "/usr/lib/python3.11/logging/config.py", line 65, in fileConfig\n    raise FileNotFoundError(f"{fname} doesn\'t exist")\nFileNotFoundError: logging/logging.ini doesn\'t exist',
  },
  {
    id: 'mlflow-db-not-ready',
    label: 'Container logs (last 50 lines)',
    text: 'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "postgres" (172.18.0.3), port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?',
  },
  {
    id: 'mlflow-db-not-ready',
    label: 'Container logs (last 50 lines)',
    text: 'psycopg2.OperationalError: could not connect to server: Connection refused\n\tIs the server running on host "postgres" (172.18.0.3) and accepting\n\tTCP/IP connections on port 5432?',
  },
  {
    id: 'mlflow-missing-psycopg2',
    label: 'Container logs (last 50 lines)',
    text: '  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/dialects/postgresql/psycopg2.py", line 690, in import_dbapi\n    import psycopg2\nModuleNotFoundError: No module named \'psycopg2\'',
  },
  { id: 'mlflow-host-header', label: 'HTTP response body', text: 'Invalid Host header - possible DNS rebinding attack detected' },
  {
    id: 'mlflow-artifacts-local',
    label: 'Command output (last 40 lines)',
    text: '  File "/home/learner/ds-workspace/.venv/lib/python3.12/site-packages/mlflow/store/artifact/local_artifact_repo.py", line 47, in log_artifact\n    mkdir(artifact_dir)\nPermissionError: [Errno 13] Permission denied: \'/opt/mlflow\'',
  },
  {
    id: 'port-in-use',
    label: 'Command output (last 40 lines)',
    text: 'Error response from daemon: Ports are not available: exposing port TCP 127.0.0.1:5000 -> 0.0.0.0:0: listen tcp 127.0.0.1:5000: bind: address already in use',
    cause: /^Another program already listens on port 5000/,
  },
  {
    id: 'port-in-use',
    label: 'Command output (last 40 lines)',
    text: 'Error response from daemon: driver failed programming external connectivity on endpoint dstack-elasticsearch-1: Bind for 127.0.0.1:9200 failed: port is already allocated',
    cause: /^Another program already listens on port 9200\.$/,
  },
  {
    id: 'docker-permission-denied',
    label: 'Command output (last 40 lines)',
    text: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/containers/json": dial unix /var/run/docker.sock: connect: permission denied',
  },
  {
    id: 'docker-not-running',
    label: 'Command output (last 40 lines)',
    text: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
  },
  {
    id: 'compose-v2-missing',
    label: 'Command output (last 40 lines)',
    text: "docker: 'compose' is not a docker command.\nSee 'docker --help'",
  },
  {
    id: 'images-not-pulled',
    label: 'Command output (last 40 lines)',
    text: 'Error response from daemon: no such image: postgres:17.6-bookworm: No such image: postgres:17.6-bookworm',
  },
  {
    id: 'images-not-pulled',
    label: 'Container logs (last 20 lines)',
    text: 'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: no such host',
  },
  {
    id: 'containers-not-created',
    label: 'Container state',
    text: 'no container with labels com.docker.compose.project=dstack, com.docker.compose.service=elasticsearch',
    cause: /^Compose has not created the elasticsearch container yet/,
  },
  {
    id: 'dvc-already-tracked-by-git',
    label: 'Command output (last 40 lines)',
    text: "ERROR: output 'data' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached 'data'\n            git commit -m \"stop tracking data\"",
    cause: /Git already tracks data/,
  },
  {
    id: 'dvc-no-remote',
    label: 'Command output (last 40 lines)',
    text: 'ERROR: configuration error - config file error: no remote specified in /home/learner/ds-workspace/.dvc/config. Setup default remote with\n    dvc remote default <remote name>\nor use:\n    dvc push -r <remote name>',
  },
  {
    id: 'dvc-missing-cache',
    label: 'Command output (last 40 lines)',
    text: 'WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\nname: data/images.csv, md5: 3c5bd5f29d5c4b1b7e8d2f2a8c1e9b0a\nERROR: failed to pull data from the cloud - Checkout failed for following targets:\ndata\nIs your cache up to date?',
  },
  // What bash 5.2 prints: at an interactive prompt, under `bash -c` (a check's command), and for a path.
  {
    id: 'command-not-found',
    label: 'Terminal output of `dvc init` (last 40 lines)',
    text: 'dvc init\nbash: dvc: command not found\n(.venv) $ ',
  },
  { id: 'command-not-found', label: 'Command output (last 40 lines)', text: 'bash: line 1: dvc: command not found' },
  {
    id: 'command-not-found',
    label: 'Terminal output of `.venv/bin/pip install -r requirements.txt` (last 40 lines)',
    text: 'bash: .venv/bin/pip: No such file or directory',
  },
  { id: 'interrupted', label: 'Exit status in the terminal', text: '130' },
];

describe('diagnosis signatures', () => {
  it.each(CASES)('recognises $id in "$label"', ({ id, label, text, cause }) => {
    const d = diagnose([{ label, text }]);
    expect(d?.id).toBe(id);
    if (cause) expect(d?.cause).toMatch(cause);
  });

  it('covers every signature with at least one real text', () => {
    const covered = new Set(CASES.map((c) => c.id));
    expect(SIGNATURES.map((s) => s.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it('has unique ids and full-sentence causes and fixes', () => {
    expect(new Set(SIGNATURES.map((s) => s.id)).size).toBe(SIGNATURES.length);
    for (const s of SIGNATURES) {
      for (const t of [s.cause, s.fix]) {
        const text = typeof t === 'function' ? t('5000', {}) : t;
        expect(text).toMatch(/^[A-Z].*\.$/s);
        expect(text).not.toMatch(/^Error:|!/);
      }
    }
  });

  it('matches nothing in unrelated text', () => {
    const unrelated = [
      {
        label: 'Container logs (last 50 lines)',
        text: '{"@timestamp":"2026-03-02T10:15:31.402Z", "log.level": "INFO", "message":"started", "elasticsearch.node.name":"es01"}',
      },
      { label: 'HTTP response body', text: '{"cluster_name":"docker-cluster","status":"green","number_of_nodes":1}' },
      { label: 'Command output (last 40 lines)', text: 'Successfully installed mlflow-3.6.0\n2 files added and 0 files fetched' },
      {
        label: 'Container state',
        text: 'container dstack-elasticsearch-1, status running, exit code 0, OOMKilled: false, health healthy, restarts 0',
      },
    ];
    expect(diagnose(unrelated)).toBeUndefined();
  });

  it('reads only the evidence a signature names', () => {
    // A log line about OOM in an HTTP body is not the container's state.
    expect(diagnose([{ label: 'HTTP response body', text: 'OOMKilled: true' }])).toBeUndefined();
  });

  it('puts cause and fix before the hint of a failed result and leaves a passed one alone', () => {
    const evidence = [{ label: 'HTTP response body', text: 'Invalid Host header - possible DNS rebinding attack detected' }];
    const failed = withDiagnosis({ ok: false, message: 'MLflow answered with status 403.', hint: 'Look at the answer.', evidence });
    expect(failed.diagnosis?.id).toBe('mlflow-host-header');
    expect(failed.hint).toMatch(/^MLflow refused the request .* Look at the answer\.$/s);
    const passed = withDiagnosis({ ok: true, message: 'Fine.', evidence });
    expect(passed.diagnosis).toBeUndefined();
  });

  describe('advice for the learner’s machine', () => {
    const busy5000 = [{ label: 'Command output (last 40 lines)', text: 'listen tcp 127.0.0.1:5000: bind: address already in use' }];
    const lowMapCount = [{ label: 'Container logs (last 50 lines)', text: 'max virtual memory areas vm.max_map_count [65530] is too low' }];

    it('names the AirPlay Receiver for port 5000 on macOS only', () => {
      const mac = diagnose(busy5000, SIGNATURES, { host: { platform: 'darwin', root: false } });
      expect(mac?.cause).toBe('Another program already listens on port 5000; on a Mac this is usually the AirPlay Receiver.');
      expect(mac?.fix).toMatch(/^Turn off the AirPlay Receiver \(System Settings, General, AirDrop & Handoff\), or find the program with/);
      const linux = diagnose(busy5000, SIGNATURES, { host: { platform: 'linux', root: false } });
      expect(linux?.cause).toBe('Another program already listens on port 5000.');
      expect(`${linux?.cause} ${linux?.fix}`).not.toMatch(/AirPlay|macOS|Mac\b/);
      expect(linux?.fix).toBe(
        'Find the program with `lsof -nP -iTCP:5000 -sTCP:LISTEN` and stop it. Or give the service another port in compose/.env. Then run `docker compose up -d` again.',
      );
    });

    it('says sudo for vm.max_map_count only where the shell is not root', () => {
      expect(diagnose(lowMapCount, SIGNATURES, { host: { platform: 'linux', root: false } })?.fix).toMatch(
        /^Run `sudo sysctl -w vm\.max_map_count=262144`/,
      );
      const root = diagnose(lowMapCount, SIGNATURES, { host: { platform: 'linux', root: true } });
      expect(root?.fix).toMatch(/^Run `sysctl -w vm\.max_map_count=262144`/);
      expect(root?.fix).not.toContain('sudo');
    });

    it('sends a missing container back to the images step, not to `up -d <service>`', () => {
      const d = diagnose([
        {
          label: 'Container state',
          text: 'no container with labels com.docker.compose.project=dstack, com.docker.compose.service=elasticsearch',
        },
      ]);
      expect(d?.fix).toMatch(/^Run `docker compose -f compose\/docker-compose\.yml create`/);
      expect(d?.fix).not.toMatch(/up -d/);
    });
  });

  it("reads a 130 only as the exit status of a command in the terminal, not of a check's own command", () => {
    expect(diagnose([{ label: 'Exit status', text: '130' }])).toBeUndefined();
  });
});

describe('explainFailedCommand', () => {
  const venvMissing = {
    ok: false,
    message: 'The virtual environment in .venv cannot import mlflow, dvc, fluent and yaml yet.',
    hint: 'Run the step again.',
    evidence: [{ label: 'Exit status', text: '1' }],
  };
  const installedBy = (program: string) =>
    program === 'dvc' ? { step: 'Create the Python environment', chapter: 'Before you start' } : undefined;

  it('says the learner interrupted a command stopped with Ctrl-C, not what the check found missing', () => {
    const pip = '.venv/bin/pip install -r requirements.txt';
    const r = explainFailedCommand(venvMissing, {
      command: pip,
      exitCode: 130,
      output: `${pip}\r\nCollecting mlflow\r\n^C\r\nERROR: Operation cancelled by user\r\n`,
    });
    expect(r.message).toBe(`You interrupted \`${pip}\` (Ctrl-C) before it finished, so this step is not done yet.`);
    expect(r.message).not.toMatch(/cannot import/);
    expect(r.hint).toMatch(/^The command was interrupted \(Ctrl-C\).* Press Run on it again and let it finish/);
    expect(r.diagnosis?.id).toBe('interrupted');
    // What the check found stays in the evidence, after what the terminal showed.
    expect(r.evidence.map((e) => e.label)).toEqual([
      'Exit status in the terminal',
      `Terminal output of \`${pip}\` (last 40 lines)`,
      'What the check found',
      'Exit status',
    ]);
    expect(r.evidence[1]?.text).toBe(`${pip}\nCollecting mlflow\n^C\nERROR: Operation cancelled by user`);
  });

  it('names the missing program and the step that installs it', () => {
    const r = explainFailedCommand(
      venvMissing,
      { command: 'dvc init', exitCode: 127, output: 'dvc init\r\nbash: dvc: command not found\r\n' },
      { installedBy },
    );
    expect(r.message).toBe('`dvc init` did not run: this terminal has no program called dvc.');
    expect(r.hint).toBe(
      'dvc is installed by “Create the Python environment” in “Before you start”, which this workspace has not done yet. Run that step first (Catch me up at the top of this chapter runs it for you), then run this command again.',
    );
  });

  it('says when the virtualenv has the program but this terminal does not use it', () => {
    const r = explainFailedCommand(
      venvMissing,
      { command: 'dvc init', exitCode: 127, output: 'bash: dvc: command not found\r\n' },
      {
        installedBy,
        inVirtualenv: (p) => p === 'dvc',
      },
    );
    expect(r.message).toBe('`dvc init` did not run: this terminal has no program called dvc.');
    expect(r.hint).toBe(
      "dvc is in the workspace's virtual environment (.venv), but this terminal started before it was there and does not use it. Activate it in this terminal with `. .venv/bin/activate`, then run the command again.",
    );
  });

  it('says plainly that a program nobody installs is not there', () => {
    const r = explainFailedCommand(
      venvMissing,
      { command: 'dcv init', exitCode: 127, output: 'bash: dcv: command not found\r\n' },
      { installedBy },
    );
    expect(r.message).toBe('`dcv init` did not run: this terminal has no program called dcv.');
    expect(r.hint).toBe(
      "There is no program called dcv here: it is not installed, or not on this terminal's PATH. Check the spelling of dcv; if it is a program you need, install it and run the command again.",
    );
  });

  it("keeps the check's words when the terminal shows no known failure, and leaves a passing check alone", () => {
    const other = explainFailedCommand(venvMissing, {
      command: 'git commit -m x',
      exitCode: 1,
      output: 'nothing to commit, working tree clean\r\n',
    });
    expect(other.message).toBe(venvMissing.message);
    expect(other.evidence[0]).toEqual({ label: 'Exit status in the terminal', text: '1' });
    const passed = { ok: true, message: 'Fine.', evidence: [] };
    expect(explainFailedCommand(passed, { command: 'x', exitCode: 130, output: '' })).toBe(passed);
  });
});
