// Unit tests: what Drive reports it kept is checked against what was sent.
import { describe, expect, it } from 'vitest';
import { keptDifferently } from '../../../functions/notify/destinations/drive/upload-once';

const content = { size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' };

describe('keptDifferently', () => {
  it('accepts what matches, in any case of hex, and what Drive does not report', () => {
    expect(keptDifferently({ id: 'f', name: 'a', size: '3', sha256Checksum: content.sha256.toUpperCase() }, content)).toBeUndefined();
    expect(keptDifferently({ id: 'f', name: 'a' }, content)).toBeUndefined();
  });

  it('names a size or hash that differs', () => {
    expect(keptDifferently({ id: 'f', name: 'a', size: '2' }, content)).toBe('2 bytes instead of 3');
    expect(keptDifferently({ id: 'f', name: 'a', size: '3', sha256Checksum: '00'.repeat(32) }, content)).toMatch(/^SHA-256 0{64} instead of ba78/);
  });
});
