import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { lakeStore } from '../src/adapters/object-stores.ts';
import { S3Store } from '../src/adapters/s3.ts';
import { loadConfig } from '../src/config.ts';

/** The ObjectStore contract (object-store.int.test.ts checks the same against real S3). */
function objectStoreContract(name: string, make: () => Promise<ObjectStore>, prefix = ''): void {
  describe(`${name}: ObjectStore contract`, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await make();
    });
    const k = (key: string) => `${prefix}${key}`;

    it('puts, gets, overwrites and deletes', async () => {
      await store.put(k('a/b/c.bin'), new Uint8Array([1, 2, 3]));
      expect(await store.get(k('a/b/c.bin'))).toEqual(new Uint8Array([1, 2, 3]));
      await store.put(k('a/b/c.bin'), new Uint8Array([4]));
      expect(await store.get(k('a/b/c.bin'))).toEqual(new Uint8Array([4]));
      await store.delete(k('a/b/c.bin'));
      expect(await store.get(k('a/b/c.bin'))).toBeUndefined();
      expect(await store.get(k('never/there'))).toBeUndefined();
    });

    it('lists by any key prefix, in key order, with size and lastModified', async () => {
      for (const key of ['p/date=2026-11-02/x', 'p/date=2026-11-01/y', 'p/date=2026-12-01/z', 'q/other'])
        await store.put(k(key), new TextEncoder().encode(key));
      const all = await store.list(k('p/'));
      expect(all.map((o) => o.key)).toEqual(
        ['p/date=2026-11-01/y', 'p/date=2026-11-02/x', 'p/date=2026-12-01/z'].map(k),
      );
      expect(all[0]!.size).toBe('p/date=2026-11-01/y'.length);
      expect(all[0]!.lastModified.getTime()).toBeGreaterThan(Date.now() - 600_000);
      expect((await store.list(k('p/date=2026-11'))).map((o) => o.key)).toHaveLength(2);
      expect(await store.list(k('nothing/'))).toEqual([]);
    });

    it('is healthy and names objects by URI', async () => {
      await store.health();
      expect(store.uri(k('p/q'))).toMatch(/^(s3|file):\/\/.*p\/q$/);
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

objectStoreContract('LocalDirStore', async () => new LocalDirStore(join(dir, 'lake')));

describe('LocalDirStore', () => {
  it('leaves no temporary files behind and refuses keys outside its root', async () => {
    const store = new LocalDirStore(join(dir, 'tmpcheck'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`x/${i % 3}`, new Uint8Array([i]))));
    expect((await readdir(join(dir, 'tmpcheck', 'x'))).sort()).toEqual(['0', '1', '2']);
    await expect(store.put('../escape', new Uint8Array())).rejects.toThrow(/invalid object key/);
  });
});

describe('lakeStore', () => {
  it('is a local folder <dataDir>/<bucket> without ULA_S3_ENDPOINT, S3 with it', () => {
    const local = lakeStore(loadConfig({ ULA_DATA_DIR: dir }));
    expect(local).toBeInstanceOf(LocalDirStore);
    expect((local as LocalDirStore).root).toBe(join(dir, 'lake'));
    const s3 = lakeStore(loadConfig({ ULA_S3_ENDPOINT: 'http://127.0.0.1:9000', ULA_S3_BUCKET: 'b' }));
    expect(s3).toBeInstanceOf(S3Store);
    expect(s3.uri('k')).toBe('s3://b/k');
    (s3 as S3Store).close();
  });
});
