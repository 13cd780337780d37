import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { startTestServer } from '../../helpers/server.ts';

// The helper every server test starts from (tests/helpers/server.ts): what it leaves behind.
it('the test server helper leaves no state folder behind, and adds one exit listener however many servers a file starts', async () => {
  const before = process.listenerCount('exit');
  const stateDirs: string[] = [];
  for (let i = 0; i < 12; i++) {
    const s = await startTestServer();
    stateDirs.push(s.stateDir);
    await s.dispose();
  }
  // Node warns of a leak from the eleventh listener on: a helper that added one per server did.
  expect(process.listenerCount('exit') - before).toBeLessThanOrEqual(1);
  expect(stateDirs.filter((d) => existsSync(d))).toEqual([]);
});
