import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { durationSeconds, frontmatterOf, type Step } from '../../protocol/content.ts';
import type { Check, Probe } from '../../protocol/probes/index.ts';
import { type LoadedChapter, loadChapters } from '../../server/tutorial/content.ts';

const CONTENT = join(import.meta.dirname, '..', '..', 'content');

/** The tutorial's chapters, in reading order (sidebar.order 1..9). */
const CHAPTERS = [
  'before-you-start',
  'start-the-stack',
  'elasticsearch-kibana',
  'python-logging',
  'fluentd',
  'mlflow-server',
  'tracking-experiments',
  'data-versioning',
  'work-as-a-team',
  'finish',
] as const;

/** Pages that are not chapters: the overview and the progress page have no steps. */
const NOT_CHAPTERS = new Set(['index', 'progress']);
/** Chapters that may be prose only (`steps: []`). */
const PROSE_ONLY_ALLOWED = new Set(['finish']);
/** Test fixtures that live among the chapters for now (order 0, outside the 1..10 sequence). */
const FIXTURES = new Set(['hello-terminal']);

const all = loadChapters(CONTENT);
const chapters = all.filter((c) => !NOT_CHAPTERS.has(c.id));
const tutorial = chapters.filter((c) => !FIXTURES.has(c.id));
const byId = new Map(all.map((c) => [c.id, c]));

/** The MDX body (everything after the frontmatter). */
function bodyOf(chapter: LoadedChapter): string {
  const text = readFileSync(chapter.file, 'utf8');
  const front = frontmatterOf(text);
  return front === undefined ? text : text.slice(text.indexOf(front) + front.length).replace(/^\r?\n---\r?\n/, '');
}

/** Every probe of a check, however deeply it is composed. */
function probesOf(check: Check): Probe[] {
  if ('kind' in check) return [check];
  return ('all' in check ? check.all : check.any).flatMap(probesOf);
}

function stepsOf(id: string): Step[] {
  return byId.get(id)?.steps ?? [];
}

describe('the tutorial chapters', () => {
  it('are all present, in order, with sidebar orders 1..10 and no gaps', () => {
    expect(tutorial.map((c) => c.id)).toEqual([...CHAPTERS]);
    expect(tutorial.map((c) => c.order)).toEqual(CHAPTERS.map((_, i) => i + 1));
  });

  it('each have a goal and a time, and say the time in their first paragraph', () => {
    for (const c of tutorial) {
      expect(c.fields.goal, `${c.id}: goal`).toBeTruthy();
      expect(c.fields.time, `${c.id}: time`).toBeTruthy();
      const minutes = Math.round(durationSeconds(c.fields.time!) / 60);
      const firstParagraph = bodyOf(c)
        .split(/\r?\n\s*\r?\n/)
        .map((p) => p.trim())
        .find((p) => p !== '' && !p.startsWith('import '));
      expect(firstParagraph, `${c.id}: first paragraph`).toMatch(new RegExp(`\\b${minutes} minutes\\b`));
      expect(firstParagraph, `${c.id}: first paragraph`).toMatch(/goal/i);
    }
  });

  it('each end with a "What you have now" section', () => {
    for (const c of tutorial) expect(bodyOf(c), c.id).toMatch(/^## What you have now$/m);
  });

  it('each have at least one step, unless they are allowed to be prose only', () => {
    for (const c of chapters) {
      if (PROSE_ONLY_ALLOWED.has(c.id)) continue;
      expect(c.steps.length, `${c.id}: steps`).toBeGreaterThan(0);
    }
  });

  it('import the Step component the same way', () => {
    for (const c of chapters.filter((ch) => ch.steps.length > 0)) {
      expect(bodyOf(c), c.id).toContain("import Step from '../../../src/components/Step.astro';");
    }
  });

  it('render every frontmatter step with <Step id>, once each, in frontmatter order', () => {
    for (const c of chapters) {
      const rendered = [...bodyOf(c).matchAll(/<Step\s+id="([^"]+)"/g)].map((m) => m[1]);
      expect(rendered, c.id).toEqual(c.steps.map((s) => s.id));
    }
  });
});

describe('every step of the tutorial', () => {
  const steps = tutorial.flatMap((c) => c.steps.map((s) => ({ chapter: c.id, step: s })));

  it('has commands, a duration, hints and links to upstream docs', () => {
    expect(steps.length).toBeGreaterThan(20);
    for (const { chapter, step } of steps) {
      const where = `${chapter}/${step.id}`;
      expect(step.run.length, `${where}: run`).toBeGreaterThan(0);
      expect(durationSeconds(step.duration), `${where}: duration`).toBeGreaterThan(0);
      expect(step.hints.length, `${where}: hints`).toBeGreaterThan(0);
      expect(step.docs.length, `${where}: docs`).toBeGreaterThan(0);
      for (const d of step.docs) expect(d.url, `${where}: docs`).toMatch(/^https:\/\//);
    }
  });

  it('has a check of known probe kinds (the schema already refused unknown ones)', () => {
    const kinds = new Set([
      'command',
      'file',
      'tcp',
      'http',
      'container',
      'preflight',
      'elasticsearch',
      'kibana',
      'fluentd',
      'mlflow',
      'dvc',
    ]);
    for (const { chapter, step } of steps) {
      const probes = probesOf(step.check);
      expect(probes.length, `${chapter}/${step.id}`).toBeGreaterThan(0);
      for (const p of probes) expect(kinds, `${chapter}/${step.id}`).toContain(p.kind);
    }
  });

  it('never puts a {{placeholder}} into a command, since only checks are filled in', () => {
    for (const { chapter, step } of steps) {
      for (const cmd of step.run) expect(cmd, `${chapter}/${step.id}`).not.toMatch(/\{\{/);
    }
  });

  it('names the compose file in every docker compose command, since commands run in the workspace', () => {
    for (const { chapter, step } of steps) {
      const commands = [...step.run, ...probesOf(step.check).flatMap((p) => (p.kind === 'command' ? [p.run] : []))];
      for (const cmd of commands) {
        for (const m of cmd.matchAll(/docker compose (\S+)/g)) {
          if (m[1] === 'version') continue;
          expect(m[1], `${chapter}/${step.id}: ${cmd}`).toBe('-f');
          expect(cmd, `${chapter}/${step.id}`).toContain('docker compose -f compose/docker-compose.yml');
        }
      }
    }
  });

  it('either proves its own attempt ({{marker}}) or a new file or state, or says it may already hold', () => {
    // A check that passes before the step cannot prove it; the headless runner enforces this, and
    // here the steps whose check looks at long-lived state must say so explicitly.
    const longLived = new Set(['preflight', 'tcp', 'container', 'fluentd', 'kibana']);
    for (const { chapter, step } of steps) {
      const probes = probesOf(step.check);
      const onlyLongLived = probes.every((p) => longLived.has(p.kind) && !JSON.stringify(p).includes('dataView'));
      if (onlyLongLived) expect(step.mayAlreadyHold, `${chapter}/${step.id}`).toBe(true);
    }
  });

  it('does not wait forever: no follow modes, editors or pagers', () => {
    for (const { chapter, step } of steps) {
      for (const cmd of step.run) {
        expect(cmd, `${chapter}/${step.id}`).not.toMatch(/\btail -f\b|\blogs (?:[^|;&]* )?(?:-f|--follow)\b|\b(?:vi|vim|nano|less|more)\b/);
      }
    }
  });
});

describe('checks that prove the very data a step produced', () => {
  it('find the document, the log records and the MLflow run by this attempt\u2019s marker', () => {
    const marked = (id: string, step: string) => JSON.stringify(stepsOf(id).find((s) => s.id === step)?.check);
    expect(marked('elasticsearch-kibana', 'index-a-document')).toContain('{{marker}}');
    expect(marked('fluentd', 'send-by-hand')).toContain('{{marker}}');
    expect(marked('fluentd', 'send-with-config')).toContain('{{marker}}');
    expect(marked('tracking-experiments', 'first-run')).toContain('{{marker}}');
    expect(marked('python-logging', 'console-logging')).toContain('{{marker}}');
  });

  it('check the MLflow run for its parameter, metric history, artifact and proxied artifact URI', () => {
    const run = stepsOf('tracking-experiments').find((s) => s.id === 'first-run')!;
    expect(run.check).toMatchObject({
      kind: 'mlflow',
      experiment: 'my-simple-experiment',
      marker: '{{marker}}',
      metric: { key: 'foo' },
      artifact: 'test.txt',
      proxiedArtifacts: true,
    });
  });

  it('start the MLflow client chapter with a health check that may already hold', () => {
    const [first] = stepsOf('tracking-experiments');
    expect(first).toMatchObject({ mayAlreadyHold: true, check: { kind: 'mlflow', health: true } });
  });

  it('tell the two data versions apart by md5 and go back to the first', () => {
    const dvcProbes = stepsOf('data-versioning').flatMap((s) => probesOf(s.check).map((p) => ({ step: s.id, p })));
    const md5 = (step: string) =>
      dvcProbes.filter((x) => x.step === step && x.p.kind === 'dvc' && 'md5' in x.p && x.p.md5).map((x) => (x.p as { md5: string }).md5);
    const [v1] = md5('track-version-1');
    const [v2] = md5('version-2');
    expect(v1).toMatch(/^[0-9a-f]{32}$/);
    expect(v2).toMatch(/^[0-9a-f]{32}$/);
    expect(v1).not.toBe(v2);
    expect(md5('back-to-version-1')).toEqual([v1]);
    expect(md5('pull-from-remote')).toEqual([v2]);
  });

  it('set a git identity only where none exists before the first commit', () => {
    const init = stepsOf('data-versioning')[0]!;
    const commit = init.run.findIndex((c) => c.startsWith('git commit'));
    const identity = init.run.findIndex((c) => c.includes('git config user.email >'));
    expect(identity).toBeGreaterThanOrEqual(0);
    expect(identity).toBeLessThan(commit);
  });
});
