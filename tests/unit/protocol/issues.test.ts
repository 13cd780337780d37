import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsSchema } from '@astrojs/starlight/schema';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ChapterFieldsBuildSchema, ChapterFieldsSchema, frontmatterOf } from '../../../protocol/content.ts';
import { formatCheckIssues } from '../../../protocol/issues.ts';
import { CheckSchema } from '../../../protocol/probes/index.ts';
import { ContentError, loadChapters } from '../../../server/tutorial/content.ts';

describe('formatCheckIssues', () => {
  const issues = (input: unknown) => formatCheckIssues(CheckSchema.safeParse(input).error?.issues ?? [], input);

  it('names a misspelled kind and the valid kinds', () => {
    expect(
      issues({
        all: [
          { kind: 'command', run: 'x' },
          { kind: 'comand', run: 'x' },
        ],
      })[0],
    ).toMatch(/^all\.1\.kind: "comand" is not a probe kind; use one of command/);
  });
  it('names a missing field and an unknown field inside a composition', () => {
    expect(issues({ any: [{ kind: 'command', rn: 'x' }] })).toEqual([
      'any.0.run: this field is required (string).',
      'any.0: unknown field "rn".',
    ]);
  });
  it('says what a check looks like when it is neither a probe nor a composition', () => {
    expect(issues({ al: [] })).toEqual(['check: a check is a probe (with a "kind") or a list under "all" or "any". It has "al".']);
  });
});

describe('a bad chapter at `astro build`', () => {
  const badContent = join(import.meta.dirname, '..', '..', 'fixtures', 'bad-content');
  const front = parseYaml(frontmatterOf(readFileSync(join(badContent, 'docs', 'typo.mdx'), 'utf8')) ?? '');
  // The schema src/content.config.ts gives the docs collection, merged into Starlight's as the build merges it.
  const schema = docsSchema({ extend: ChapterFieldsBuildSchema })({ image: () => CheckSchema as never });

  it('fails with the field and what to write, in the words the server uses', async () => {
    const r = await schema.safeParseAsync(front);
    // Astro prints each issue as `**<path>**: <message>` under the file's name.
    const build = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(build).toEqual([
      'steps.1.check.all.1.kind: "htp" is not a probe kind; use one of command, file, tcp, http, container, preflight, elasticsearch, kibana, fluentd, mlflow, dvc.',
    ]);
    let server: unknown;
    try {
      loadChapters(badContent);
    } catch (e) {
      server = e;
    }
    expect(server).toBeInstanceOf(ContentError);
    expect((server as ContentError).problems).toEqual(build);
  });

  it('passes a page without tutorial fields, with no steps', async () => {
    const r = await schema.safeParseAsync({ title: 'Overview' });
    expect(r.error?.issues).toBeUndefined();
    expect(r.data).toMatchObject({ title: 'Overview', steps: [] });
    expect(r.data).not.toHaveProperty('goal');
  });

  it('passes a good chapter through unchanged', async () => {
    const good = { title: 'T', time: '5m', steps: [{ id: 'a', title: 'A', duration: '5s', check: { kind: 'command', run: 'true' } }] };
    const r = await schema.safeParseAsync(good);
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ title: 'T', time: '5m', steps: [{ id: 'a', run: [], hints: [], mayAlreadyHold: false }] });
  });

  it("gives every chapter of content/ the same tutorial fields as the server's schema", async () => {
    const docs = join(import.meta.dirname, '..', '..', '..', 'content', 'docs');
    const files = readdirSync(docs, { recursive: true, encoding: 'utf8' }).filter((f) => /\.mdx?$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const fm = parseYaml(frontmatterOf(readFileSync(join(docs, f), 'utf8')) ?? '');
      const { goal, time, needs, steps } = (await schema.parseAsync(fm)) as Record<string, unknown>;
      expect({ goal, time, needs, steps }, f).toEqual(ChapterFieldsSchema.parse(fm));
    }
  });
});
