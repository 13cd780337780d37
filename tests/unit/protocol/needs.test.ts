import { describe, expect, it } from 'vitest';
import { ChapterFieldsBuildSchema, ChapterFieldsSchema } from '../../../protocol/content.ts';
import { type NeedsChapter, neededSteps, needsProblems } from '../../../protocol/needs.ts';

const step = (id: string, check: unknown = { kind: 'file', path: 'x' }) => ({ id, check });

/** A small tutorial: a machine check, a virtualenv, a stack, a server on the stack, a chapter that needs most of it. */
const CHAPTERS: NeedsChapter[] = [
  { id: 'before', order: 1, needs: [], steps: [step('machine'), step('venv')] },
  { id: 'stack', order: 2, needs: ['before/machine'], steps: [step('images'), step('up')] },
  {
    id: 'server',
    order: 3,
    needs: ['stack/up'],
    steps: [step('health'), step('marked', { kind: 'file', path: 'm', contains: '{{marker}}' })],
  },
  { id: 'client', order: 4, needs: ['server/health', 'before/venv'], steps: [step('run')] },
];

describe('the needs field of a chapter', () => {
  const base = { steps: [] };

  it('takes steps of other chapters written chapter/step, and none by default', () => {
    expect(ChapterFieldsSchema.parse(base).needs).toEqual([]);
    expect(ChapterFieldsSchema.parse({ ...base, needs: ['before-you-start/python-venv'] }).needs).toEqual(['before-you-start/python-venv']);
  });

  it("refuses a need that is not chapter/step, or one listed twice, at its field and in the server's words", () => {
    const r = ChapterFieldsBuildSchema.safeParse({ ...base, needs: ['python-venv', 'a/b', 'a/b'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['needs.0', 'write a step as "chapter/step", e.g. "before-you-start/python-venv".'],
      ['needs.2', '"a/b" is listed twice.'],
    ]);
  });

  it('lets a step say which programs it installs', () => {
    const s = { id: 'venv', title: 'Venv', duration: '1m', check: { kind: 'file', path: '.venv' } };
    expect(ChapterFieldsSchema.parse({ steps: [{ ...s, installs: ['dvc', 'mlflow'] }] }).steps[0]?.installs).toEqual(['dvc', 'mlflow']);
    expect(ChapterFieldsSchema.safeParse({ steps: [{ ...s, installs: ['dvc init'] }] }).success).toBe(false);
  });
});

describe('needsProblems', () => {
  it('finds nothing wrong with needs of earlier chapters whose checks look at the workspace', () => {
    expect(needsProblems(CHAPTERS)).toEqual([]);
  });

  it('names the chapter, the index and what to write for each bad need', () => {
    const bad: NeedsChapter[] = [
      ...CHAPTERS.slice(0, 3),
      { id: 'client', order: 4, needs: ['nowhere/x', 'stack/down', 'client/run', 'later/step', 'server/marked'], steps: [step('run')] },
      { id: 'later', order: 5, needs: [], steps: [step('step')] },
    ];
    expect(needsProblems(bad)).toEqual([
      { chapter: 'client', index: 0, text: 'there is no chapter "nowhere"; chapters: before, stack, server, client, later.' },
      { chapter: 'client', index: 1, text: 'the chapter "stack" has no step "down"; its steps: images, up.' },
      {
        chapter: 'client',
        index: 2,
        text: '"client/run" is a step of this chapter; a chapter needs only steps of earlier chapters (its own run before each step anyway).',
      },
      {
        chapter: 'client',
        index: 3,
        text: '"later" comes after this chapter in the sidebar; a chapter can only need steps of earlier chapters.',
      },
      {
        chapter: 'client',
        index: 4,
        text: 'the check of "server/marked" looks for its own attempt\'s {{marker}}, so it cannot tell later whether the step is in place; need a step whose check looks at the workspace or the stack.',
      },
    ]);
  });
});

describe('neededSteps', () => {
  it("brings the needs of a needed step's chapter along, each once, in the order a learner does them", () => {
    expect(neededSteps(CHAPTERS, 'client')).toEqual([
      { chapter: 'before', step: 'machine' },
      { chapter: 'before', step: 'venv' },
      { chapter: 'stack', step: 'up' },
      { chapter: 'server', step: 'health' },
    ]);
    expect(neededSteps(CHAPTERS, 'stack')).toEqual([{ chapter: 'before', step: 'machine' }]);
    expect(neededSteps(CHAPTERS, 'before')).toEqual([]);
    expect(neededSteps(CHAPTERS, 'unknown')).toEqual([]);
  });

  it('leaves out needs that point nowhere, and never loops', () => {
    const odd: NeedsChapter[] = [
      { id: 'a', order: 1, needs: ['b/y', 'a/x', 'zzz/q'], steps: [step('x')] },
      { id: 'b', order: 2, needs: ['a/x'], steps: [step('y')] },
    ];
    expect(neededSteps(odd, 'b')).toEqual([{ chapter: 'a', step: 'x' }]);
    expect(neededSteps(odd, 'a')).toEqual([{ chapter: 'b', step: 'y' }]);
  });
});
