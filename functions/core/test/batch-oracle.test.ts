import { describe, it } from 'vitest';
import { runOracleScenario } from './batch-scenario.ts';
import { batchFixture } from './batch-support.ts';

describe('batch views against an independent oracle (local-dir lake, SQLite)', () => {
  it('all jobs in one pass: dedup, idempotent reruns, late events, local-midnight boundaries', async () => {
    const fixture = batchFixture();
    try {
      await runOracleScenario(fixture);
    } finally {
      await fixture.close();
    }
  }, 60_000);

  it('each job run on its own gives the same rows', async () => {
    const fixture = batchFixture();
    try {
      await runOracleScenario(fixture, { perJob: true });
    } finally {
      await fixture.close();
    }
  }, 60_000);
});
