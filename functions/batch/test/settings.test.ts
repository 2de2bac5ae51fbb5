import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.ts';

describe('batch job: settings', () => {
  afterEach(() => vi.restoreAllMocks());

  it('exits 2 before any work when a variable is invalid, naming it and the expected form', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await main(['--job', 'all', '--from', '2026-01-01', '--to', '2026-01-01'], {
      ULA_DATA_DIR: '/nonexistent/never-created',
      ULA_BATCH_STATE_RETENTION_DAYS: 'two weeks',
    });
    expect(code).toBe(2);
    const errors = stderr.mock.calls.map(([text]) => String(text)).join('');
    expect(errors).toContain('ULA_BATCH_STATE_RETENTION_DAYS="two weeks": expected an integer >= 0');
    expect(stdout.mock.calls.map(([text]) => String(text)).join('')).toContain('batch_settings_invalid');
  });
});
