import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { TestClient } from '../../helpers/ws-client.ts';

/**
 * The learner's environment in the chapters' shells (server/workspace.ts, the rc of
 * server/terminal/shell-integration.ts): a shell that started before the workspace had its
 * virtualenv uses it from its next command on.
 */

const CONTENT = join(import.meta.dirname, '..', '..', 'fixtures', 'runner', 'content');

let server: TestServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await server?.dispose();
  server = undefined;
});

describe("the workspace's virtualenv in a chapter's shell", () => {
  it('is picked up by a shell that started before it existed, and a deactivate stays', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const early = await TestClient.open(server);
    clients.push(early);
    await early.attach('tool-user');
    expect(await early.run('echo "[$VIRTUAL_ENV]"')).toContain('[]');

    // Another chapter's shell makes the virtualenv, while this one waits at its prompt.
    const other = await TestClient.open(server);
    clients.push(other);
    await other.attach('tool-maker');
    for (let i = 0; i < 3; i++) expect(await server.controller.run('tool-maker', 'make-tool', i, { autoCheck: false })).toBe(0);

    // The first command typed at the waiting prompt already finds the virtualenv's program.
    expect(await early.run('fixture-tool')).toContain('the fixture tool ran');
    expect(await early.run('echo "[$VIRTUAL_ENV]"')).toContain(`[${join(server.workspace, '.venv')}]`);
    // The learner leaves it on purpose: it is not switched on again behind their back.
    await early.run('unset VIRTUAL_ENV');
    expect(await early.run('echo "[$VIRTUAL_ENV]"')).toContain('[]');
  });
});
