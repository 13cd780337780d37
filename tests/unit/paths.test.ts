import { describe, expect, it } from 'vitest';
import { defaultStateDir, startCommand } from '../../server/paths.ts';

describe('startCommand (the exact command the page shows to start this server again)', () => {
  const base = { port: 4400, workspace: '/home/ada/ds', stateDir: defaultStateDir() };

  it('names the port and the workspace of a loopback server, and nothing it does not need', () => {
    expect(startCommand({ ...base, host: '127.0.0.1' })).toBe('npm start -- --port 4400 --workspace /home/ada/ds');
  });

  it('carries the acknowledgement a public address needs, so the command is not refused', () => {
    expect(startCommand({ ...base, host: '0.0.0.0' })).toBe(
      'npm start -- --port 4400 --workspace /home/ada/ds --host 0.0.0.0 --i-know-this-is-public',
    );
    expect(startCommand({ ...base, host: 'localhost' })).not.toContain('--i-know-this-is-public');
  });
});
