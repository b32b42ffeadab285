import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../server/src/sync/checkpoint.ts';

describe('checkpoint', () => {
  it('round-trips and stays opaque', () => {
    const checkpoint = { v: 1 as const, snapshot: '740:745:741,743', issuedAt: '2026-11-26T12:00:00.000Z' };
    const encoded = encodeCheckpoint(checkpoint);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCheckpoint(encoded)).toEqual(checkpoint);
  });

  it('treats anything malformed as no checkpoint', () => {
    expect(decodeCheckpoint('')).toBeNull();
    expect(decodeCheckpoint('garbage!')).toBeNull();
    expect(decodeCheckpoint(Buffer.from(JSON.stringify({ v: 1, snapshot: 'DROP TABLE', issuedAt: 'x' })).toString('base64url'))).toBeNull();
  });
});
