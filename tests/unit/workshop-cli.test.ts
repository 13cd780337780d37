import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stackImages } from '../../server/cli/workshop/seed.ts';
import { teamEnv } from '../../server/cli/workshop/team.ts';
import { main } from '../../server/cli/workshop.ts';
import { REPO_ROOT } from '../../server/paths.ts';
import { runMain } from '../helpers/cli.ts';

/** Runs `npm run workshop -- ...` in this process (only what is decided before Docker is asked). */
const workshop = (args: string[]) => runMain(main, args);

describe('npm run workshop', () => {
  it('prints its usage with --help', async () => {
    const r = await workshop(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['up', 'status', 'down', 'build']) expect(r.out).toMatch(new RegExp(`^ {2}${command} `, 'm'));
  });

  it('refuses an unknown command or option with the usage and status 2', async () => {
    expect((await workshop(['start'])).code).toBe(2);
    expect((await workshop([])).code).toBe(2);
    const bad = await workshop(['up', '--learnerz', '3']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Usage: npm run workshop');
  });

  it('threat: a hub on a public address without saying so; --host needs --i-understand-this-is-public', async () => {
    const r = await workshop(['up', '--host', '0.0.0.0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--i-understand-this-is-public');
    expect(r.err).toContain('HTTPS');
  });

  it('refuses a workshop name Docker cannot use in container names', async () => {
    const r = await workshop(['status', '--name', 'My Class']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cannot name containers');
  });

  it('takes --engine rootless or privileged only, and its help says what privileged gives away', async () => {
    const r = await workshop(['up', '--engine', 'root']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--engine takes rootless or privileged, not "root"');
    const help = await workshop(['--help']);
    expect(help.out).toMatch(/--engine MODE[\s\S]*GIVES EVERY LEARNER ROOT ON THIS MACHINE/);
  });

  it("seeds the learners' engines with the images the stack pulls and the ones its builds start FROM", () => {
    const env = readFileSync(join(REPO_ROOT, 'compose', '.env'), 'utf8');
    const val = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(env)?.[1];
    expect(stackImages()).toEqual(
      [
        `docker.elastic.co/elasticsearch/elasticsearch:${val('ELASTIC_VERSION')}`,
        `docker.elastic.co/kibana/kibana:${val('ELASTIC_VERSION')}`,
        `fluent/fluentd:${val('FLUENTD_IMAGE_TAG')}`,
        `${val('POSTGRES_IMAGE')}`,
        `python:${val('PYTHON_IMAGE_TAG')}`,
        `${val('ADMINER_IMAGE')}`,
        `${val('SEAWEEDFS_IMAGE')}`,
      ].sort(),
    );
  });

  it("tells the hub where the class server is: its names on the learners' networks, or its published ports on the host network", async () => {
    const help = await workshop(['--help']);
    expect(help.out).toMatch(/--team-stack[\s\S]*No accounts on it/);
    const team = {
      project: 'class-team',
      containers: { 'team-mlflow': 'class-team-mlflow-1', 'team-s3': 'class-team-seaweedfs-1' },
      mlflowUrl: 'http://127.0.0.1:40121',
      s3Url: 'http://127.0.0.1:38211',
    };
    expect(teamEnv(team, 'learners')).toEqual({
      WORKSHOP_TUTORIAL_TEAM_MLFLOW_URL: 'http://team-mlflow:5000',
      WORKSHOP_TUTORIAL_TEAM_S3_URL: 'http://team-s3:8333',
      WORKSHOP_TEAM_CONTAINERS: 'team-mlflow=class-team-mlflow-1,team-s3=class-team-seaweedfs-1',
    });
    // On the host's network every workspace reaches the instructor's 127.0.0.1: nothing joins a network.
    expect(teamEnv(team, 'host')).toEqual({
      WORKSHOP_TUTORIAL_TEAM_MLFLOW_URL: 'http://127.0.0.1:40121',
      WORKSHOP_TUTORIAL_TEAM_S3_URL: 'http://127.0.0.1:38211',
    });
  });

  it('the class server overlay labels its services for the workshop and turns forwarding off where learners reach it', () => {
    const overlay = parse(readFileSync(join(REPO_ROOT, 'compose', 'class-server.yml'), 'utf8')) as {
      services: Record<string, { labels?: Record<string, string>; sysctls?: Record<string, number> }>;
    };
    expect(Object.keys(overlay.services).sort()).toEqual(['mlflow', 'postgres', 'seaweedfs']);
    for (const [name, service] of Object.entries(overlay.services)) {
      expect(service.labels?.['tutorial.workshop.role'], name).toBe('class-server');
      if (name !== 'postgres') expect(service.sysctls?.['net.ipv4.ip_forward'], name).toBe(0);
    }
  });
});
