/** `npm start` reads the batch's at-risk thresholds (ULA_RISK_*) through the settings module, as the batch job does. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBatchSettings } from '../../../functions/batch/src/settings.ts';
import { defaultRiskThresholds } from '../../../functions/core/src/categories/student-course/risk.ts';
import { InvalidSettings } from '../../../functions/core/src/settings.ts';
import { parseDemoArgs } from '../args.ts';
import { EmbeddedDemo } from '../pipeline.ts';

const demoWith = (env: Record<string, string>) => {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return new EmbeddedDemo(parseDemoArgs([]));
};

describe('demo settings', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('the at-risk thresholds default to the rules’ defaults and follow ULA_RISK_* like the batch job', () => {
    expect(demoWith({}).risk).toEqual(defaultRiskThresholds);
    const env = { ULA_RISK_INACTIVE_DAYS: '3', ULA_RISK_LOW_VIDEO_COVERAGE_PERCENTAGE: '40' };
    const demo = demoWith(env);
    expect(demo.risk).toEqual({ ...defaultRiskThresholds, inactiveDays: 3, lowVideoCoveragePercentage: 40 });
    expect(demo.risk).toEqual(loadBatchSettings(env).risk);
  });

  it('refuses an invalid threshold with the variable named, together with invalid configuration', () => {
    let problems: readonly string[] = [];
    try {
      demoWith({ ULA_RISK_INACTIVE_DAYS: '0', ULA_TIMEZONE: 'Nowhere/City' });
    } catch (error) {
      if (!(error instanceof InvalidSettings)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^ULA_TIMEZONE="Nowhere\/City"/),
      expect.stringMatching(/^ULA_RISK_INACTIVE_DAYS="0"/),
    ]);
  });
});
