import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteViewStore } from '../src/adapters/sqlite.ts';
import { replaceDay } from './replace-support.ts';
import { dateOf, newTable, otherTable, type Round } from './sqlite-open-process.ts';

/**
 * Batch jobs run side by side, one process each, and open the same SQLite file at once (the batch
 * benchmark's two lanes start two jobs on a fresh views.sqlite). Several processes (kept alive across
 * rounds, so a round costs no start-up) open a file at the same instant, round after round: no open,
 * schema creation or write may fail with SQLITE_BUSY ("database is locked").
 */
const processes = 4;
const rounds = Number(process.env['ULA_SQLITE_OPEN_ROUNDS'] ?? 30);
/** Each holds the write lock 300 ms; a deferred ensureTables failed in every one of them. */
const schemaRounds = 10;

interface Outcome {
  round: number;
  index: number;
  error: string | null;
}

const dir = mkdtempSync(join(tmpdir(), 'ula-sqlite-open-'));
const children: ChildProcess[] = [];
let waiting: ((outcome: Outcome) => void) | undefined;

beforeAll(async () => {
  for (let i = 0; i < processes; i++) {
    children.push(
      fork(new URL('./sqlite-open-process.ts', import.meta.url), {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`open process exited early with code ${code}`)));
          child.once('message', (message) =>
            message === 'ready' ? resolve() : reject(new Error(String(message))),
          );
        }),
    ),
  );
  for (const child of children) {
    child.removeAllListeners('exit');
    child.on('message', (message) => waiting?.(message as Outcome));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || !child.connected) return resolve();
          child.once('exit', () => resolve());
          child.send('exit');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

/** One round: every process starts on the file at the same instant; resolves with their outcomes. */
function round(kind: Round['kind'], n: number, file: string): Promise<Outcome[]> {
  const at = Date.now() + 40;
  const got: Outcome[] = [];
  return new Promise((resolve) => {
    waiting = (outcome) => {
      got.push(outcome);
      if (got.length === processes) resolve(got);
    };
    children.forEach((child, index) => {
      child.send({ kind, round: n, file, at, index } satisfies Round);
    });
  });
}

/** Fails with a count of the failed attempts and the first error (the store's frame that threw it). */
function expectNoFailures(name: string, outcomes: readonly Outcome[], of: number) {
  const failures = outcomes.filter((o) => o.error !== null);
  if (failures.length > 0)
    process.stdout.write(
      `${name}: ${failures.length} of ${outcomes.length} attempts failed, in ${new Set(failures.map((o) => o.round)).size} of ${of} rounds; first: ${failures[0]?.error}\n`,
    );
  expect(failures).toEqual([]);
}

describe('SqliteViewStore used by several processes at once', () => {
  it(`${processes} processes open a fresh file at the same instant, ${rounds} rounds: none fails`, async () => {
    const outcomes: Outcome[] = [];
    for (let n = 0; n < rounds; n++)
      outcomes.push(...(await round('open', n, join(dir, `fresh-${n}.sqlite`))));
    expectNoFailures('sqlite concurrent open', outcomes, rounds);
    // Every process's rows are in the last round's file, which is in WAL mode.
    const store = new SqliteViewStore(join(dir, `fresh-${rounds - 1}.sqlite`));
    try {
      for (let index = 0; index < processes; index++)
        expect(await store.readPartition(replaceDay, { date: dateOf(index) })).toHaveLength(200);
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      await store.close();
    }
  }, 300_000);

  it(`tables created while another process writes (${processes - 1} processes, ${schemaRounds} rounds): none fails`, async () => {
    const file = join(dir, 'schema.sqlite');
    const setup = new SqliteViewStore(file);
    await setup.ensureTables([replaceDay, otherTable]);
    await setup.close();
    const outcomes: Outcome[] = [];
    for (let n = 0; n < schemaRounds; n++) outcomes.push(...(await round('schema', n, file)));
    expectNoFailures('sqlite schema beside a writer', outcomes, schemaRounds);
    const store = new SqliteViewStore(file);
    try {
      const rows = await store.scan(newTable(schemaRounds - 1), { limit: 1000 });
      expect(rows.rows).toHaveLength(50 * (processes - 1));
    } finally {
      await store.close();
    }
  }, 300_000);
});
