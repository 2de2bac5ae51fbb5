import { describe, expect, it } from 'vitest';
import { scoreBand, scoreBands, scorePercent } from '../src/categories/assessment/score.ts';

describe('scores as percent of the maximum', () => {
  it('takes score / max_score × 100, null when either is unknown or the maximum is not positive', () => {
    expect(scorePercent(8.5, 10)).toBe(85);
    expect(scorePercent(92.8, 100)).toBe(92.8);
    expect(scorePercent(0.75, 1)).toBe(75);
    expect(scorePercent(undefined, 10)).toBeNull();
    expect(scorePercent(5, undefined)).toBeNull();
    expect(scorePercent(5, 0)).toBeNull();
  });

  it('bands by 10 points: the lower bound, a full score in the top band, above the maximum apart', () => {
    expect([0, 9.99, 10, 45, 89.999, 90, 100].map(scoreBand)).toEqual([0, 0, 10, 40, 80, 90, 90]);
    // Floating point noise around a bound does not move a result across it (to 6 decimals).
    expect(scoreBand(scorePercent(18.9, 27)!)).toBe(70);
    expect(scoreBand(100.0000001)).toBe(90);
    expect(scoreBand(100.01)).toBe(100);
    expect(scoreBand(250)).toBe(100);
  });

  it('lists every band once, contiguous, each band holding its own lower bound', () => {
    expect(scoreBands.map((b) => b.band)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for (const [i, b] of scoreBands.entries()) {
      expect(scoreBand(b.from)).toBe(b.from === 100 ? 90 : b.band);
      if (i > 0) expect(b.from).toBe(scoreBands[i - 1]!.to);
    }
    expect(scoreBands.at(-1)).toMatchObject({ from: 100, to: null, label: 'above 100 %' });
  });
});
