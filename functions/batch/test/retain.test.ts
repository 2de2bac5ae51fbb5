/**
 * `--job retain` through the batch entry point (main(), as the JobSink Job runs it) on the embedded lake
 * and view store: a dry run lists and deletes nothing, the run deletes the partitions before the limit and
 * pushes its counts, the run is in batch_runs, and a raw limit within the batch's look-back is refused
 * before anything runs (exit 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import { batchRuns } from '@ula/core/views/system-tables';
import { utcDate } from '@ula/core/views/time';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ev, writeLake } from '../../core/test/batch-support.ts';
import { main } from '../src/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'ula-batch-retain-'));
const lake = new LocalDirStore(join(dir, 'lake'));
const pushes: { url: string; body: string }[] = [];
const lines: Record<string, unknown>[] = [];
let gateway: Server;
let gatewayUrl: string;
const dayMs = 86_400_000;
// Dates relative to the real clock: the reference may not be after today.
const reference = utcDate(Date.now() - dayMs);
const old = utcDate(Date.now() - 60 * dayMs);
const recent = utcDate(Date.now() - 5 * dayMs);
const env = (extra: Record<string, string> = {}) => ({
  ULA_DATA_DIR: dir,
  ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
  ULA_RETENTION_RAW_DAYS: '30',
  ULA_RETENTION_PII_DAYS: '30',
  ULA_PUSHGATEWAY_URL: gatewayUrl,
  ...extra,
});
const argv = (...extra: string[]) => ['--job', 'retain', '--from', reference, '--to', reference, ...extra];
const rawKeys = async () => (await lake.list('raw/')).map((o) => o.key);
const value = (text: string, name: string, labels: Record<string, string>) =>
  text
    .split('\n')
    .filter(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    )
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))[0];

beforeAll(async () => {
  for (const name of ['ULA_S3_ENDPOINT', 'ULA_CASSANDRA_CONTACT_POINTS']) delete process.env[name];
  await writeLake(lake, [
    ev('LOGIN', `${old}T12:00:00Z`, 'SV001', { session_id: '11111111-1111-4111-8111-111111111111' }),
    ev('LOGIN', `${recent}T12:00:00Z`, 'SV002', { session_id: '22222222-2222-4222-8222-222222222222' }),
  ]);
  await lake.put(`dead-letter/date=${old}/hour=03/x.ndjson`, new TextEncoder().encode('not json\n'));
  gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      pushes.push({ url: req.url ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => gateway.listen(0, '127.0.0.1', ok));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
    return true;
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise((ok) => gateway.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

describe('batch --job retain', () => {
  it('--dry-run logs what would go and deletes nothing', async () => {
    const before = await rawKeys();
    lines.length = 0;
    expect(await main(argv('--dry-run'), env())).toBe(0);
    expect(await rawKeys()).toEqual(before);
    const expired = lines.filter((l) => l['event'] === 'partition_expired');
    expect(expired.map((l) => `${l['table']} ${l['date']}`)).toEqual([`auth ${old}`, `dead_letter ${old}`]);
    expect(lines.some((l) => l['event'] === 'partition_removed')).toBe(false);
  });

  it('deletes the partitions before the limit, one log line each, and pushes the counts', async () => {
    lines.length = 0;
    pushes.length = 0;
    expect(await main(argv('--run-id', 'retain-run-1'), env())).toBe(0);
    const keys = await rawKeys();
    expect(keys.some((k) => k.includes(`date=${old}/`))).toBe(false);
    expect(keys.some((k) => k.includes(`date=${recent}/`))).toBe(true);
    expect(await lake.list('dead-letter/')).toEqual([]);
    const removed = lines.filter((l) => l['event'] === 'partition_removed');
    expect(removed.map((l) => `${l['table']} ${l['date']} ${l['files']}`)).toEqual([
      `auth ${old} 1`,
      `dead_letter ${old} 1`,
    ]);
    expect(pushes[0]?.url).toBe('/metrics/job/ula-batch/batch_job/retain/status/succeeded');
    const text = pushes[0]?.body ?? '';
    expect(value(text, 'ula_retention_partitions_total', { table: 'auth' })).toBe(1);
    expect(value(text, 'ula_retention_files_total', { table: 'dead_letter' })).toBe(1);
    expect(value(text, 'ula_retention_bytes_total', { table: 'auth' })).toBeGreaterThan(0);
    const views = openSqliteViewStore(dir);
    try {
      const [run] = await views.readPartition(batchRuns, { run_id: 'retain-run-1' });
      expect(run).toMatchObject({ job: 'retain', status: 'succeeded', rows_written: 2 });
    } finally {
      await views.close();
    }
    // A rerun finds nothing more to delete.
    lines.length = 0;
    expect(await main(argv(), env())).toBe(0);
    expect(lines.filter((l) => l['event'] === 'partition_removed')).toEqual([]);
  });

  it('a raw limit inside the look-back, or a reference after today, is refused', async () => {
    const before = await rawKeys();
    expect(await main(argv(), env({ ULA_RETENTION_RAW_DAYS: '3' }))).toBe(2);
    const tomorrow = utcDate(Date.now() + dayMs);
    expect(await main(['--job', 'retain', '--from', tomorrow, '--to', tomorrow], env())).toBe(1);
    expect(await main(['--job', 'auth', '--from', reference, '--to', reference, '--dry-run'], env())).toBe(2);
    expect(await rawKeys()).toEqual(before);
  });
});
