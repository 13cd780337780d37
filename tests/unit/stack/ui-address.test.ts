import { describe, expect, it } from 'vitest';
import { lastSubnet } from '../../../server/cli/workshop/network.ts';
import { uiAddress } from '../../../server/stack/status.ts';

describe("a service's UI address for the learner's browser", () => {
  it('is the service itself on the learner own machine (no JupyterHub prefix)', () => {
    expect(uiAddress('http://127.0.0.1:5601', '')).toBe('http://127.0.0.1:5601');
    expect(uiAddress('http://127.0.0.1:5601', undefined)).toBe('http://127.0.0.1:5601');
  });

  it("is the learner's Jupyter server's proxy in a workshop workspace, for loopback addresses only", () => {
    expect(uiAddress('http://127.0.0.1:5601', '/user/learner-1/')).toBe('/user/learner-1/proxy/5601/');
    expect(uiAddress('http://localhost:5001/', '/user/learner-1/')).toBe('/user/learner-1/proxy/5001/');
    expect(uiAddress('http://127.0.0.1:8080/sub', '/hub-base/user/a')).toBe('/hub-base/user/a/proxy/8080/sub');
    // Somewhere else than the workspace's loopback: the proxy cannot reach it, the link stays.
    expect(uiAddress('http://kibana.example.org:5601', '/user/learner-1/')).toBe('http://kibana.example.org:5601');
  });
});

describe("the hub's network in the learners' address pool", () => {
  it("is the pool's last /28", () => {
    expect(lastSubnet('10.213.0.0/16')).toBe('10.213.255.240/28');
    expect(lastSubnet('10.0.0.0/8')).toBe('10.255.255.240/28');
    expect(lastSubnet('192.168.5.0/24')).toBe('192.168.5.240/28');
  });

  it('refuses what is no IPv4 network of /28 or larger, saying what it wants', () => {
    expect(() => lastSubnet('10.213.0.0/30')).toThrow(/no IPv4 network of \/28 or larger/);
    expect(() => lastSubnet('fd00::/64')).toThrow(/WORKSHOP_SUBNET_POOL/);
  });
});
