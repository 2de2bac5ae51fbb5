/**
 * The batch job's metrics: each run (main(), as the JobSink Job runs it) records its outcome, duration,
 * events read and rows written, and PUTs them to the Pushgateway named by ULA_PUSHGATEWAY_URL, grouped by
 * batch job and status. A Pushgateway that is down never fails the run. Embedded lake and view store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ev, writeLake } from '../../core/test/batch-support.ts';
import { main } from '../src/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'ula-batch-metrics-'));
const pushes: { method: string; url: string; body: string }[] = [];
let gateway: Server;
let gatewayUrl: string;
const env = (extra: Record<string, string> = {}) => ({
  ULA_DATA_DIR: dir,
  ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
  ...extra,
});
const value = (text: string, name: string, labels: Record<string, string>) =>
  text
    .split('\n')
    .filter(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    )
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))[0];

beforeAll(async () => {
  for (const name of ['ULA_S3_ENDPOINT', 'ULA_CASSANDRA_CONTACT_POINTS']) delete process.env[name];
  await writeLake(new LocalDirStore(join(dir, 'lake')), [
    ev('LOGIN', '2026-03-02T09:00', 'SV001', { session_id: '11111111-1111-4111-8111-111111111111' }),
    ev('LOGIN', '2026-03-02T10:00', 'SV002', { session_id: '22222222-2222-4222-8222-222222222222' }),
  ]);
  // A second file in the 09:00 hour, for the compaction to merge.
  await writeLake(new LocalDirStore(join(dir, 'lake')), [
    ev('LOGIN', '2026-03-02T09:30', 'SV003', { session_id: '33333333-3333-4333-8333-333333333333' }),
  ]);
  gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      pushes.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => gateway.listen(0, '127.0.0.1', ok));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise((ok) => gateway.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

describe('batch metrics', () => {
  it('pushes a succeeded run with its duration, events read and rows written', async () => {
    pushes.length = 0;
    const argv = ['--job', 'auth', '--from', '2026-03-02', '--to', '2026-03-02'];
    expect(await main(argv, env({ ULA_PUSHGATEWAY_URL: `${gatewayUrl}/` }))).toBe(0);
    expect(pushes).toHaveLength(1);
    const [push] = pushes;
    expect(push?.method).toBe('PUT');
    expect(push?.url).toBe('/metrics/job/ula-batch/batch_job/auth/status/succeeded');
    const text = push?.body ?? '';
    expect(value(text, 'ula_batch_runs_total', { batch_job: 'auth', status: 'succeeded' })).toBe(1);
    expect(value(text, 'ula_batch_run_duration_seconds_count', { batch_job: 'auth' })).toBe(1);
    expect(value(text, 'ula_batch_last_run_timestamp_seconds', { batch_job: 'auth' })).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    expect(value(text, 'ula_batch_events_read_total', { batch_job: 'auth' })).toBe(3);
    expect(value(text, 'ula_batch_rows_written_total', { batch_job: 'auth' })).toBeGreaterThan(0);
  });

  it('pushes compaction runs with files and bytes before and after', async () => {
    pushes.length = 0;
    const argv = ['--job', 'compact', '--from', '2026-03-02', '--to', '2026-03-02'];
    expect(await main(argv, env({ ULA_PUSHGATEWAY_URL: gatewayUrl }))).toBe(0);
    expect(pushes[0]?.url).toBe('/metrics/job/ula-batch/batch_job/compact/status/succeeded');
    const text = pushes[0]?.body ?? '';
    expect(value(text, 'ula_compaction_partitions_total', {})).toBe(1);
    expect(value(text, 'ula_compaction_files_total', { stage: 'before' })).toBe(2);
    expect(value(text, 'ula_compaction_files_total', { stage: 'after' })).toBe(1);
    expect(value(text, 'ula_compaction_bytes_total', { stage: 'after' })).toBeGreaterThan(0);
    expect(value(text, 'ula_batch_events_read_total', { batch_job: 'compact' })).toBe(2);
  });

  it('pushes an invalid request as status invalid, and a Pushgateway that is down does not fail the run', async () => {
    pushes.length = 0;
    expect(
      await main(
        ['--job', 'nope', '--from', '2026-03-02', '--to', '2026-03-02'],
        env({ ULA_PUSHGATEWAY_URL: gatewayUrl }),
      ),
    ).toBe(2);
    expect(pushes[0]?.url).toBe('/metrics/job/ula-batch/batch_job/unknown/status/invalid');
    const argv = ['--job', 'auth', '--from', '2026-03-02', '--to', '2026-03-02'];
    expect(await main(argv, env({ ULA_PUSHGATEWAY_URL: 'http://127.0.0.1:9' }))).toBe(0);
    expect(await main(argv, env())).toBe(0); // no URL: nothing pushed
    expect(pushes).toHaveLength(1);
  });
});
