/**
 * `npm start -- --xapi` against `npm start`: the same simulated university (seed, 150 students, two days of
 * history, no malformed records) run twice by the demo process, once as native CloudEvents and once as the
 * xAPI statements an LMS would POST to the LRS (the xapi function in-process, whose derived events take the
 * same in-process bus to ingest and speed). Every batch view of the two SQLite stores must be equal, row for
 * row; the xAPI run's lake holds its statements (xapi/statements/) and no e-mail address; the dashboard's
 * summary endpoint answers with data while the xAPI run serves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@ula/tools/free-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../../../functions/core/src/adapters/local-dir.ts';
import { openSqliteViewStore } from '../../../functions/core/src/adapters/sqlite.ts';
import type { ViewStore } from '../../../functions/core/src/adapters/view-store.ts';
import { readXapiStatements } from '../../../functions/core/src/lake/xapi-statements.ts';
import { storedViews } from '../../../functions/core/test/batch-scenario.ts';
import { readRows } from '../../../functions/core/test/batch-support.ts';
import { normalise } from './comparable-rows.ts';
import { embeddedEnv } from './embedded-env.ts';

const root = resolve(import.meta.dirname, '../../..');
const students = '150';
const days = '2';

interface DemoRun {
  dir: string;
  child: ChildProcess;
  url: string;
  stdout: string;
}

/** Starts the demo (no live traffic) and resolves once it serves the dashboard over its history. */
async function startDemo(dir: string, extra: string[]): Promise<DemoRun> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/demo/main.ts',
      ...['--students', students, '--days', days, '--seed', 'xapi-demo', '--malformed-rate', '0'],
      ...['--no-live', '--port', String(port), '--data-dir', dir, '--reset', ...extra],
    ],
    { cwd: root, env: embeddedEnv({ ULA_TIMEZONE: 'Asia/Ho_Chi_Minh' }), stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/Data in /.test(stdout)) ok();
    });
    child.once('exit', (code) => fail(new Error(`demo ${extra.join(' ')} exited ${code}:\n${stderr}`)));
  });
  return { dir, child, url: /Dashboard: (\S+)/.exec(stdout)![1]!, stdout };
}

const stop = (run: DemoRun | undefined) =>
  new Promise<void>((ok) => {
    if (!run || run.child.exitCode !== null) return ok();
    run.child.once('exit', () => ok());
    run.child.kill('SIGTERM');
  });

let dir: string;
let native: DemoRun | undefined;
let xapi: DemoRun | undefined;
const stores: ViewStore[] = [];

describe('npm start -- --xapi: the same university as xAPI statements gives the same views', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ula-xapi-demo-'));
    // One after the other: both use the machine's cores for the backfill.
    native = await startDemo(join(dir, 'native'), []);
    await stop(native);
    xapi = await startDemo(join(dir, 'xapi'), ['--xapi']);
  }, 300_000);

  afterAll(async () => {
    await stop(xapi);
    await stop(native);
    for (const s of stores) await s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the dashboard summary with data while the xAPI run is up', async () => {
    expect(xapi!.stdout).toMatch(/xAPI requests\s+[1-9][\d,]* stored \([1-9][\d,]* statements\), 0 refused/);
    const summary = (await (await fetch(`${xapi!.url}api/v1/summary`)).json()) as Record<string, unknown>;
    expect(Object.keys(summary).length).toBeGreaterThan(0);
    expect(JSON.stringify(summary)).toMatch(/[1-9]/);
  });

  it('computes every batch view equal to the native run, row for row', async () => {
    await stop(xapi);
    const open = (run: DemoRun) => {
      const store = openSqliteViewStore(run.dir);
      stores.push(store);
      return store;
    };
    const a = open(native!);
    const b = open(xapi!);
    let rows = 0;
    const differ: string[] = [];
    for (const view of storedViews) {
      // Doubles to 10 digits: the xAPI run's events reach the lake in another order (a video session's
      // event when it terminates), so sums of doubles differ in their last bits.
      const fromNative = normalise(await readRows(a, view));
      const fromXapi = normalise(await readRows(b, view));
      const i = fromNative.findIndex((row, k) => row !== fromXapi[k]);
      if (i >= 0 || fromNative.length !== fromXapi.length)
        differ.push(`${view}: native ${fromNative[i] ?? '(none)'} xapi ${fromXapi[i] ?? '(none)'}`);
      rows += fromNative.length;
    }
    expect(differ).toEqual([]);
    expect(rows).toBeGreaterThan(1000);
  });

  it("keeps every statement in the xAPI run's lake, redacted (no e-mail address)", async () => {
    const statements = await readXapiStatements(new LocalDirStore(join(xapi!.dir, 'lake')));
    const acknowledged = Number(/\(([\d,]+) statements\)/.exec(xapi!.stdout)![1]!.replaceAll(',', ''));
    const ids = new Set(statements.map((s) => s.statement_id));
    // Each statement once (a resent one is acknowledged again but not stored again), none lost.
    expect(statements.length).toBe(ids.size);
    expect(ids.size).toBeGreaterThan(1000);
    expect(ids.size).toBeLessThanOrEqual(acknowledged);
    expect(statements.filter((s) => /@/.test(s.statement))).toEqual([]);
  });
});
