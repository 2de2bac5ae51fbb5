/**
 * ObjectStore on a local directory (the embedded lake): keys are relative paths under the root folder.
 * `put` writes a temporary file, fsyncs it, renames it over the key and fsyncs the folder, so a key is
 * either absent or complete and durable once `put` resolves.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectInfo, ObjectStore } from './object-store.ts';

export class LocalDirStore implements ObjectStore {
  readonly root: string;
  private readonly folders = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  protected path(key: string): string {
    if (key.length === 0 || key.startsWith('/') || key.split('/').includes('..')) {
      throw new Error(`invalid object key "${key}"`);
    }
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.path(key);
    const dir = dirname(path);
    // Partitions are written many times: create each folder once per store (a deleted one fails the
    // open with ENOENT below, and is created again).
    if (!this.folders.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.folders.add(dir);
    }
    const tmp = join(dir, `.${randomUUID()}.tmp`);
    const file = await open(tmp, 'w').catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(dir, { recursive: true });
      return open(tmp, 'w');
    });
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? this.root : join(this.root, ...prefix.slice(0, slash).split('/'));
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      // Directories and files are visited concurrently: one at a time, a day of hourly partitions took
      // a hundred sequential round trips to the file system.
      await Promise.all(
        entries.map(async (entry) => {
          const full = join(dir, entry.name);
          const key = relative(this.root, full).split(sep).join('/');
          if (entry.isDirectory()) {
            if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix))
              await walk(full);
          } else if (entry.isFile() && !entry.name.endsWith('.tmp') && key.startsWith(prefix)) {
            const s = await stat(full);
            out.push({ key, size: s.size, lastModified: s.mtime });
          }
        }),
      );
    };
    await walk(base);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async health(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await stat(this.root);
  }

  uri(key: string): string {
    return pathToFileURL(this.path(key)).href;
  }
}
