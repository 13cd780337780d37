import { describe, expect, it } from 'vitest';
import { isMarker, newMarker } from '../../server/tutorial/marker.ts';

describe('newMarker', () => {
  it('is ds-<chapter>-<step>-<8 hex>, lowercase, from the last part of a chapter path', () => {
    const m = newMarker('chapters/Python-Logging', 'send_records');
    expect(m).toMatch(/^ds-python-logging-send-records-[0-9a-f]{8}$/);
    expect(isMarker(m)).toBe(true);
  });
  it('holds no character that an Elasticsearch q= query, a URL or a shell would treat specially', () => {
    for (let i = 0; i < 200; i++) expect(newMarker('a/b c:d', 'e+f"g')).toMatch(/^[a-z0-9-]+$/);
  });
  it('is different for every attempt', () => {
    expect(new Set(Array.from({ length: 500 }, () => newMarker('c', 's'))).size).toBe(500);
  });
});
