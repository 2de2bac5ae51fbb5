/** S3Store against the real S3 of the local stack (bash scripts/stack/stack.sh up). */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { S3Store } from '../src/adapters/s3.ts';

const endpoint = process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000';
process.env['AWS_ACCESS_KEY_ID'] ||= 'ula-local-access';
process.env['AWS_SECRET_ACCESS_KEY'] ||= 'ula-local-secret-key';
const store = new S3Store({ bucket: process.env['ULA_S3_BUCKET'] || 'lake', endpoint });
const prefix = `test-object-store/${randomUUID()}/`;
const k = (key: string) => `${prefix}${key}`;

afterAll(async () => {
  for (const o of await store.list(prefix)) await store.delete(o.key);
  store.close();
});

describe('S3Store: ObjectStore contract on real S3', () => {
  it('puts, gets, overwrites and deletes', async () => {
    await store.health();
    await store.put(k('a/b/c.bin'), new Uint8Array([1, 2, 3]));
    expect(await store.get(k('a/b/c.bin'))).toEqual(new Uint8Array([1, 2, 3]));
    await store.put(k('a/b/c.bin'), new Uint8Array([4]));
    expect(await store.get(k('a/b/c.bin'))).toEqual(new Uint8Array([4]));
    await store.delete(k('a/b/c.bin'));
    expect(await store.get(k('a/b/c.bin'))).toBeUndefined();
  });

  it('lists by any key prefix, in key order, across pages', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) =>
      k(`p/date=2026-11-${i % 2 ? '02' : '01'}/${String(i).padStart(4, '0')}`),
    );
    for (let i = 0; i < keys.length; i += 100)
      await Promise.all(keys.slice(i, i + 100).map((key) => store.put(key, new Uint8Array([1]))));
    const all = await store.list(k('p/'));
    expect(all.map((o) => o.key)).toEqual([...keys].sort());
    expect(all[0]!.size).toBe(1);
    expect(await store.list(k('p/date=2026-11-02'))).toHaveLength(502);
    expect(store.uri(k('x'))).toBe(`s3://${store.bucket}/${k('x')}`);
  });

  it('fails health and writes fast when S3 is unreachable', async () => {
    const down = new S3Store({ bucket: 'lake', endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    await expect(down.health()).rejects.toThrow();
    await expect(down.put('x', new Uint8Array([1]))).rejects.toThrow();
    down.close();
  });
});
