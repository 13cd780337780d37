import { describe, expect, it } from 'vitest';
import { asRoot, freePortAdvice, usualPortHolder } from '../../../server/checks/host-advice.ts';

const mac = { platform: 'darwin', root: false } as const;
const linux = { platform: 'linux', root: false } as const;
const linuxRoot = { platform: 'linux', root: true } as const;

describe('host advice', () => {
  it('says sudo only where the shell is not root', () => {
    expect(asRoot('sysctl -w vm.max_map_count=262144', linux)).toBe('sudo sysctl -w vm.max_map_count=262144');
    expect(asRoot('sysctl -w vm.max_map_count=262144', linuxRoot)).toBe('sysctl -w vm.max_map_count=262144');
  });

  it('names the AirPlay Receiver for port 5000 on macOS, and nothing elsewhere', () => {
    expect(usualPortHolder(5000, mac)).toBe('the AirPlay Receiver');
    expect(usualPortHolder(5000, linux)).toBeUndefined();
    expect(usualPortHolder(9200, mac)).toBeUndefined();
    expect(freePortAdvice(5000, mac)).toBe(
      'Turn off the AirPlay Receiver (System Settings, General, AirDrop & Handoff), or find the program with `lsof -nP -iTCP:5000 -sTCP:LISTEN` and stop it.',
    );
    expect(freePortAdvice(5000, linux)).toBe('Find the program with `lsof -nP -iTCP:5000 -sTCP:LISTEN` and stop it.');
  });
});
