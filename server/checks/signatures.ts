import { asRoot, freePortAdvice, type Host, usualPortHolder } from './host-advice.ts';

/**
 * The known failures of the stack (shared/STACK.md, "Failures learners hit"), as data.
 * Diagnosis tries them in order against the evidence of a failed check; the first match
 * names the cause and the fix. `{1}` in `cause` or `fix` is replaced by the first capture
 * group of the pattern that matched. Order matters where one failure's text contains
 * another's (a client/server mismatch also logs "failed to flush the buffer").
 */
export interface Signature {
  /** Stable id, shown in results and used by tests. */
  id: string;
  /** What the component prints (or the probe reports) when this failure happens. */
  pattern: RegExp;
  /** Which evidence to read, by label (see evidence.ts). */
  where: RegExp;
  /** Where a person would look for the same signal, from STACK.md's "detect with" column. */
  look: string;
  /** What went wrong, as a full sentence; a function gets the first capture group and what the tutorial knows. */
  cause: string | ((group: string, context: DiagnosisContext) => string);
  /** What to do next, as a full sentence naming a command. */
  fix: string | ((group: string, context: DiagnosisContext) => string);
}

/** What diagnosis may ask of the tutorial beyond the evidence. */
export interface DiagnosisContext {
  /** The step that installs a program (its `installs`), with its chapter's title. */
  installedBy?(program: string): { step: string; chapter: string } | undefined;
  /** True when the workspace's virtualenv has the program (so a terminal that does not find it does not use the virtualenv). */
  inVirtualenv?(program: string): boolean;
  /** The learner's machine, for advice that depends on its OS or on root (default: this server's machine). */
  host?: Host;
}

/** The label of the exit status of a command the tutorial typed into the terminal (diagnosis.ts explainFailedCommand). */
export const TERMINAL_EXIT = 'Exit status in the terminal';
/** The label of what that command printed in the terminal. */
export const TERMINAL_OUTPUT = 'Terminal output';

const LOGS = /logs|output/i;
const TERMINAL_STATUS = new RegExp(`^${TERMINAL_EXIT}`);
const LOGS_OR_BODY = /logs|output|body|response/i;
const ANY = /./;

export const SIGNATURES: readonly Signature[] = [
  {
    id: 'es-max-map-count',
    pattern: /max virtual memory areas vm\.max_map_count \[(\d+)\] is too low/,
    where: LOGS,
    look: 'Elasticsearch container logs; /proc/sys/vm/max_map_count on Linux hosts',
    cause:
      'Elasticsearch stopped at its bootstrap check: the host kernel setting vm.max_map_count is {1}, and Elasticsearch needs at least 262144.',
    // No sudo at a root prompt, where it usually does not exist.
    fix: (_, context) =>
      `Run \`${asRoot('sysctl -w vm.max_map_count=262144', context.host)}\` (add \`vm.max_map_count=262144\` to /etc/sysctl.d/99-elasticsearch.conf to keep it), then \`docker compose up -d elasticsearch\`.`,
  },
  {
    id: 'es-disk-flood-stage',
    pattern: /flood[- ]stage (?:disk )?watermark|read-only-allow-delete/,
    where: LOGS_OR_BODY,
    look: 'GET /_cat/allocation?v; Elasticsearch container logs; HTTP 429 bodies',
    cause: 'Elasticsearch made its indices read-only because the disk is almost full (flood-stage watermark).',
    fix: 'Free disk space, for example with `docker system prune`, and check with `curl -s "$ES_URL/_cat/allocation?v"`; Elasticsearch lifts the block by itself once usage falls below the high watermark.',
  },
  {
    id: 'oom-killed',
    pattern: /OOMKilled: true|exit code:? 137\b/,
    where: /state/i,
    look: 'docker inspect: State.OOMKilled and State.ExitCode',
    cause: 'The container was killed because it ran out of memory (exit code 137).',
    fix: 'Give Docker more memory (Docker Desktop: Settings, Resources) or keep the Elasticsearch heap small with `ES_JAVA_OPTS=-Xms512m -Xmx512m`, then run `docker compose up -d`.',
  },
  {
    id: 'kibana-not-ready',
    pattern: /Kibana server is not ready yet|Unable to retrieve version information from Elasticsearch nodes/,
    where: LOGS_OR_BODY,
    look: 'GET /api/status (overall level); Kibana container logs',
    cause: 'Kibana is running but cannot reach Elasticsearch yet.',
    fix: 'Wait until Elasticsearch answers `curl -s "$ES_URL/_cluster/health"`, then check again; if it stays like this, read `docker compose logs kibana` and make sure ELASTICSEARCH_HOSTS is http://elasticsearch:9200.',
  },
  {
    id: 'fluentd-es-version-mismatch',
    pattern:
      /is not compatible for your Elasticsearch server|media_type_header_exception|UnsupportedProductError|Content-Type version must be either version 8 or 7/,
    where: LOGS_OR_BODY,
    look: 'fluentd logs; the elasticsearch gem version against GET / version.number',
    cause: "The Elasticsearch client library inside fluentd does not match the Elasticsearch server's major version.",
    fix: 'Pin the gems in the fluentd Dockerfile to the server major (plugin 5.x with elasticsearch gem 8.x for Elasticsearch 8, plugin 6.x with gem 9.x for 9), then `docker compose build fluentd && docker compose up -d fluentd`.',
  },
  {
    id: 'fluentd-es-unreachable',
    // As fluentd 1.19.3 logs it (tests/fixtures/fluentd-1.19.3): a write that failed while it
    // runs, or its worker's start failing on the version request, then exiting and restarting.
    pattern:
      /(failed to flush the buffer)[^\n]*could not push logs to Elasticsearch|unexpected error error_class=Elastic::Transport::Transport::Error[^\n]*(?:Connection refused|Failed to open TCP connection|getaddrinfo|timeout|Name or service not known)/,
    where: LOGS_OR_BODY,
    look: 'fluentd logs ("failed to flush the buffer" while running; "Elastic::Transport::Transport::Error" then "Worker 0 exited unexpectedly" at start); monitor_agent: a retry in progress (retry.start, retry.next_time); GET / of Elasticsearch',
    cause: (group) =>
      group
        ? 'The fluentd container cannot reach Elasticsearch: a write failed, and fluentd keeps the records in its buffer and retries.'
        : 'The fluentd container cannot reach Elasticsearch: it asks Elasticsearch for its version while its worker starts, fails, and the worker exits and is started again every few seconds, with no forward port and no monitor_agent until Elasticsearch answers.',
    fix: 'Start Elasticsearch with `docker compose -f compose/docker-compose.yml up -d --wait elasticsearch` (fluentd reaches it by its service name, host elasticsearch, not 127.0.0.1); fluentd then writes what it kept, or its worker starts, by itself. Watch it with `docker compose -f compose/docker-compose.yml logs -f fluentd`.',
  },
  {
    id: 'fluentd-not-listening',
    pattern: /24224\b[^\n]*(?:refused|ECONNREFUSED)|(?:refused|ECONNREFUSED)[^\n]*24224\b|buffer overflow/i,
    where: ANY,
    look: "TCP probe of fluentd's forward port (FLUENTD_PORT, 24224 by default); Elasticsearch _count for the run marker",
    cause: "Nothing accepts log records on fluentd's forward port, so the Python handler's records never leave your machine.",
    fix: 'Start fluentd with `docker compose up -d fluentd` and check it with `docker compose logs fluentd`; then run the script again.',
  },
  {
    id: 'logging-config-not-found',
    // Python before 3.11.? prints the KeyError; newer releases check the path first.
    pattern: /KeyError: 'formatters'|FileNotFoundError: \S*logging\.ini doesn't exist/,
    where: LOGS,
    look: "the command's output and its working directory",
    cause:
      'Python could not find logging/logging.ini: `fileConfig` reads the path relative to the current folder, and an unreadable file looks like a config without formatters.',
    fix: 'Run the script from the workspace folder, for example `cd ~/ds-workspace && python logging/logging_test.py`.',
  },
  {
    id: 'mlflow-db-not-ready',
    pattern:
      /psycopg2\.OperationalError:[^\n]*(?:could not connect to server|Connection refused|could not translate host name)|connection to server at [^\n]* failed: Connection refused/,
    where: LOGS,
    look: 'MLflow container logs; PostgreSQL health',
    cause: 'The MLflow server started before PostgreSQL accepted connections, or cannot find it.',
    fix: 'Check `docker compose ps postgres` (it should be healthy), then `docker compose restart mlflow`; the compose file should start MLflow with `depends_on: postgres: condition: service_healthy`.',
  },
  {
    id: 'mlflow-missing-psycopg2',
    pattern: /ModuleNotFoundError: No module named 'psycopg2'/,
    where: LOGS,
    look: 'MLflow container logs',
    cause: 'The MLflow image has no PostgreSQL driver (psycopg2).',
    fix: 'Add `psycopg2-binary` to the pip install line of the MLflow Dockerfile, then `docker compose build mlflow && docker compose up -d mlflow`.',
  },
  {
    id: 'mlflow-host-header',
    pattern: /Invalid Host header - possible DNS rebinding attack detected/,
    where: LOGS_OR_BODY,
    look: 'HTTP status 403 and body',
    cause: 'MLflow refused the request because its Host header is not in the allowed list (MLflow 3.5 and later check it).',
    fix: 'Use the address in $MLFLOW_TRACKING_URI, which the server allows (its --allowed-hosts lists localhost and 127.0.0.1 with MLFLOW_PORT of compose/.env, and mlflow:5000), or add yours there; then `docker compose up -d mlflow`.',
  },
  {
    id: 'mlflow-artifacts-local',
    pattern: /PermissionError: \[Errno 13\] Permission denied: '\/opt\/mlflow|artifact_uri[^\n]*file:\/\//,
    where: ANY,
    look: "the run's artifact_uri (file:// instead of mlflow-artifacts:); an empty artifact list",
    cause:
      'The client tried to write artifacts to a local folder instead of uploading them to the server, as the old `--default-artifact-root file://...` setup does.',
    fix: 'Start the server with `--serve-artifacts --artifacts-destination /mlflow/artifacts` and without `--default-artifact-root file://...`, then create a new experiment (an existing one keeps its old artifact location).',
  },
  {
    id: 'port-in-use',
    pattern:
      /(?:listen tcp[^\n]*?:(\d+): bind: address already in use|Bind for [\d.]+:(\d+) failed: port is already allocated|port (\d+) is already in use)/,
    where: ANY,
    look: 'a bind test before `docker compose up`; the compose error text',
    // The AirPlay Receiver only on macOS: on Linux it is advice about a program that is not there.
    cause: (port, context) => {
      const holder = usualPortHolder(Number(port), context.host);
      return `Another program already listens on port ${port}${holder ? `; on a Mac this is usually ${holder}` : ''}.`;
    },
    fix: (port, context) =>
      `${freePortAdvice(Number(port), context.host)} Or give the service another port in compose/.env. Then run \`docker compose up -d\` again.`,
  },
  {
    id: 'docker-permission-denied',
    pattern: /permission denied[^\n]*docker\.sock/i,
    where: ANY,
    look: 'Docker ping; permissions of /var/run/docker.sock',
    cause: 'Your user may not talk to the Docker engine: the socket /var/run/docker.sock is not open to you.',
    fix: 'Run `sudo usermod -aG docker $USER`, then log out and in again (or run `newgrp docker`), and check with `docker info`.',
  },
  {
    id: 'docker-not-running',
    pattern: /Cannot connect to the Docker daemon|Docker is not running/,
    where: ANY,
    look: 'Docker ping',
    cause: 'The Docker engine is not running, or this terminal cannot reach it.',
    fix: 'Start Docker (Docker Desktop, or `sudo systemctl start docker` on Linux) and check with `docker info`.',
  },
  {
    id: 'compose-v2-missing',
    pattern: /'compose' is not a docker command|unknown command: docker compose|docker-compose: command not found/,
    where: ANY,
    look: '`docker compose version`',
    cause: 'Docker Compose v2 (the `docker compose` plugin) is not installed; the retired `docker-compose` v1 is not used here.',
    fix: "Install the Compose plugin (Debian and Ubuntu: `sudo apt-get install docker-compose-plugin` from Docker's repository; Docker Desktop includes it) and check with `docker compose version`.",
  },
  {
    id: 'images-not-pulled',
    pattern:
      /lookup (registry-1\.docker\.io|docker\.elastic\.co)[^\n]*(?:no such host|i\/o timeout|server misbehaving)|No such image: (\S+)/,
    where: LOGS,
    look: '`docker image ls`; the output of `docker compose create`',
    cause:
      "The stack's images are not on this machine: Docker could not download them (the registry was out of reach), so nothing can start yet.",
    fix: 'Check that Docker reaches the internet (`docker pull hello-world`; behind a proxy, set it in Docker Desktop or /etc/systemd/system/docker.service.d), then run `docker compose -f compose/docker-compose.yml create` again: it continues where it stopped.',
  },
  {
    // A step after "Download and build the images" that did not pass: `up -d <service>` would
    // try the same download and fail the same way, so the advice goes back to that step.
    id: 'containers-not-created',
    pattern: /no container with labels com\.docker\.compose\.project=[^,\s]+, com\.docker\.compose\.service=(\S+)/,
    where: /state/i,
    look: '`docker compose ps -a`; `docker image ls`',
    cause: 'Compose has not created the {1} container yet: the stack was never started here, or its images are not all on this machine.',
    fix: 'Run `docker compose -f compose/docker-compose.yml create` (the step “Download and build the images”) until it passes: it downloads what is missing and creates the containers, or says why it cannot. Then run this step again.',
  },
  {
    id: 'dvc-already-tracked-by-git',
    pattern: /output '([^']+)' is already tracked by SCM/,
    where: LOGS,
    look: '`git ls-files <path>`',
    cause: 'Git already tracks {1}, so DVC will not take it over.',
    fix: "Stop tracking it in Git with `git rm -r --cached '{1}' && git commit -m 'Track {1} with DVC'`, then run `dvc add {1}` again.",
  },
  {
    id: 'dvc-no-remote',
    pattern: /config file error: no remote specified/,
    where: LOGS,
    look: '`dvc remote list`; .dvc/config',
    cause: 'DVC has no default remote, so it does not know where to push or pull.',
    fix: 'Add one with `dvc remote add -d storage /tmp/dvc-storage` (any folder or URL), then run the command again.',
  },
  {
    id: 'dvc-missing-cache',
    pattern: /Some of the cache files do not exist neither locally nor on remote/,
    where: LOGS,
    look: '`dvc status -c`',
    cause: 'The data this commit points to was never pushed to the remote, and it is not in the local cache either.',
    fix: 'Run `dvc push` where the data was added (your first workspace), then `dvc pull` here; `dvc status -c` shows what is missing.',
  },
  {
    id: 'interrupted',
    // bash reports 128 + 2 (SIGINT) for a command stopped with Ctrl-C.
    pattern: /^130$/,
    where: TERMINAL_STATUS,
    look: "the command's exit status in the terminal (130 after Ctrl-C)",
    cause: 'The command was interrupted (Ctrl-C) before it finished, so it did not do all of its work.',
    fix: 'Press Run on it again and let it finish; the terminal shows the prompt again when it is done.',
  },
  {
    id: 'command-not-found',
    // bash: "bash: dvc: command not found" at the prompt, "bash: line 1: dvc: command not found" under -c,
    // and "bash: .venv/bin/pip: No such file or directory" for a path that does not exist.
    pattern: /(?:^|\n)bash: (?:line \d+: )?([^\s:]+): (?:command not found|No such file or directory)/,
    where: LOGS,
    look: 'the exit status 127 and "command not found" in the output; `command -v <program>`',
    cause: (program, context) => {
      const name = program.split('/').pop() ?? program;
      if (context.inVirtualenv?.(name)) {
        return `${name} is in the workspace's virtual environment (.venv), but this terminal started before it was there and does not use it.`;
      }
      const by = context.installedBy?.(name);
      return by
        ? `${name} is installed by “${by.step}” in “${by.chapter}”, which this workspace has not done yet.`
        : `There is no program called ${program} here: it is not installed, or not on this terminal's PATH.`;
    },
    fix: (program, context) => {
      const name = program.split('/').pop() ?? program;
      if (context.inVirtualenv?.(name)) return 'Activate it in this terminal with `. .venv/bin/activate`, then run the command again.';
      return context.installedBy?.(name)
        ? 'Run that step first (Catch me up at the top of this chapter runs it for you), then run this command again.'
        : `Check the spelling of ${program}; if it is a program you need, install it and run the command again.`;
    },
  },
];
