import { describe, expect, it } from 'vitest';
import { oracle } from './batch-oracle.ts';
import { runOracleScenario, scenario } from './batch-scenario.ts';
import { batchFixture } from './batch-support.ts';

describe('batch views against an independent oracle (local-dir lake, SQLite)', () => {
  it('the scenario holds quizzes and submissions without the optional fields, as plain xAPI maps them', () => {
    const events = Object.values(scenario()).flat();
    const lacking = (type: string, field: string) =>
      events.filter((e) => e.eventType === type && !(field in e.data)).length /
      events.filter((e) => e.eventType === type).length;
    for (const [type, field] of [
      ['QUIZ_COMPLETED', 'correct_answers'],
      ['SUBMIT_ASSIGNMENT', 'due_date'],
      ['SUBMIT_ASSIGNMENT', 'assignment_type'],
      ['VIEW_ASSIGNMENT_FIRST_TIME', 'due_date'],
    ] as const) {
      expect(lacking(type, field), `${type} without ${field}`).toBeGreaterThan(0.05);
      expect(lacking(type, field), `${type} without ${field}`).toBeLessThan(0.2);
    }
    const distribution = oracle(events)['assessment_submission_distribution'] ?? [];
    expect(distribution.some((row) => row['assignment_type'] === 'not_stated')).toBe(true);
  });

  it('the scenario scores on mixed scales, so only percentages of max_score are comparable', () => {
    const events = Object.values(scenario()).flat();
    const scales = (type: string) =>
      new Set(
        events
          .filter((e) => e.eventType === type)
          .map((e) => `${e.data['course_id']}/${e.data['max_score']}`),
      );
    // Grades out of 10 and of 100 within one course; quizzes out of 10 and (plain xAPI) of 1.
    expect(scales('GRADE_ASSIGNMENT')).toContain('COURSE001/10');
    expect(scales('GRADE_ASSIGNMENT')).toContain('COURSE001/100');
    expect(scales('QUIZ_COMPLETED')).toContain('COURSE001/10');
    expect(scales('QUIZ_COMPLETED')).toContain('COURSE001/1');
    const bands = oracle(events)['assessment_score_distribution'] ?? [];
    for (const assessment of ['quiz', 'assignment'])
      expect(
        new Set(bands.filter((r) => r['assessment'] === assessment).map((r) => r['score_band'])).size,
      ).toBeGreaterThan(5);
  });

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
