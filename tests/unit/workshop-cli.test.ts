import { describe, expect, it } from 'vitest';
import { main } from '../../server/cli/workshop.ts';
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
});
