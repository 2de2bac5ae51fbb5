/**
 * Scores as percent of their maximum. Quizzes and grades come on different scales (homework out of 10,
 * projects out of 100, xAPI quizzes out of 1 with a fractional score), so a mean of raw scores mixes units;
 * every score the platform serves is `score / max_score × 100`.
 */

/** `score / max_score × 100`; null when either is unknown or the maximum is not positive. */
export const scorePercent = (score: unknown, maxScore: unknown): number | null =>
  typeof score === 'number' && typeof maxScore === 'number' && maxScore > 0 ? (score * 100) / maxScore : null;

/** Width of a band of the score distributions, in percentage points. */
export const scoreBandWidth = 10;
/** The band of scores above their maximum (extra credit), kept apart instead of dropped or capped. */
export const scoreBandAboveMaximum = 100;

/**
 * The band of a percentage: its lower bound, 0, 10, … 90, where 90 is [90, 100] (a full score belongs to
 * the top band), and 100 for scores above the maximum. The percentage is taken to 6 decimals first, so
 * 18.9 of 27 (69.99999999999999 in binary floating point) falls in the 70 band.
 */
export const scoreBand = (percent: number): number => {
  const exact = Math.round(percent * 1e6) / 1e6;
  if (exact > 100) return scoreBandAboveMaximum;
  return Math.min(90, Math.floor(exact / scoreBandWidth) * scoreBandWidth);
};

/** Every band of the distributions, in order, with its bounds and a label (what a histogram draws). */
export const scoreBands: readonly { band: number; from: number; to: number | null; label: string }[] = [
  ...Array.from({ length: 10 }, (_, k) => {
    const from = k * scoreBandWidth;
    const to = from + scoreBandWidth;
    return { band: from, from, to, label: `${from}–${to} %` };
  }),
  { band: scoreBandAboveMaximum, from: 100, to: null, label: 'above 100 %' },
];
