/**
 * The at-risk early warning of `student_course_risk`: which signals count, their thresholds and weights,
 * and the explainable score (the sum of the weights of the rules that fire, 0-100, with one reason per
 * rule). Pure: the batch job hands in the thresholds (from `ULA_RISK_*`, functions/core/src/settings.ts).
 */

/** Where each rule fires; every value is configurable (see `risk` in settings.ts). */
export interface RiskThresholds {
  /** No own action in the course (or, without one, since enrolment) for at least this many days. */
  inactiveDays: number;
  /** Least-squares slope of quiz percentages at or below minus this many points per week… */
  quizDropPointsPerWeek: number;
  /** …over at least this many quizzes. */
  quizTrendMinQuizzes: number;
  /** Mean quiz percentage below this (with at least one quiz). */
  lowQuizPercentage: number;
  /** Assignments opened (or submitted) but never submitted: at least this many. */
  missedAssignments: number;
  /** Submissions after their due date: at least this many. */
  lateSubmissions: number;
  /** Share of the course's videos watched below this percentage (when the course has videos). */
  lowVideoCoveragePercentage: number;
}

export const defaultRiskThresholds: RiskThresholds = {
  inactiveDays: 7,
  quizDropPointsPerWeek: 10,
  quizTrendMinQuizzes: 3,
  lowQuizPercentage: 50,
  missedAssignments: 2,
  lateSubmissions: 2,
  lowVideoCoveragePercentage: 25,
};

/** Points each rule adds to the score (they sum to 100). */
export const riskWeights = {
  inactive: 30,
  quiz_falling: 20,
  low_quiz_score: 10,
  missed_assignments: 15,
  late_submissions: 10,
  low_video_coverage: 15,
} as const;
export type RiskRule = keyof typeof riskWeights;

/** What the rules read for one enrolled student in one course. */
export interface RiskSignals {
  dropped: boolean;
  /** Whole days from the last own action (or the enrolment) to the as-of instant. */
  daysInactive: number | null;
  quizzes: number;
  avgQuizPercentage: number | null;
  /** Points per week; null with fewer than two distinct quiz times. */
  quizTrendPerWeek: number | null;
  missedAssignments: number;
  lateSubmissions: number;
  /** null when the course has no videos watched by anyone. */
  videoCoveragePercentage: number | null;
}

export interface RiskAssessment {
  score: number;
  level: 'none' | 'low' | 'medium' | 'high' | 'dropped';
  /** One entry per rule that fired, `rule:value` (e.g. `inactive:12`), in rule order. */
  reasons: string[];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The scores (inclusive) of each level; dropped enrolments score 0 like `none`. */
export const riskLevelScores: Readonly<Record<RiskAssessment['level'], readonly [number, number]>> = {
  high: [50, 100],
  medium: [25, 49],
  low: [1, 24],
  none: [0, 0],
  dropped: [0, 0],
};

/** The score (sum of the weights of the rules that fire), its level and its reasons. */
export function assessRisk(s: RiskSignals, t: RiskThresholds): RiskAssessment {
  if (s.dropped) return { score: 0, level: 'dropped', reasons: [] };
  const fired: [RiskRule, number][] = [];
  if (s.daysInactive !== null && s.daysInactive >= t.inactiveDays) fired.push(['inactive', s.daysInactive]);
  if (
    s.quizTrendPerWeek !== null &&
    s.quizzes >= t.quizTrendMinQuizzes &&
    s.quizTrendPerWeek <= -t.quizDropPointsPerWeek
  )
    fired.push(['quiz_falling', round1(s.quizTrendPerWeek)]);
  if (s.avgQuizPercentage !== null && s.avgQuizPercentage < t.lowQuizPercentage)
    fired.push(['low_quiz_score', round1(s.avgQuizPercentage)]);
  if (s.missedAssignments >= t.missedAssignments) fired.push(['missed_assignments', s.missedAssignments]);
  if (s.lateSubmissions >= t.lateSubmissions) fired.push(['late_submissions', s.lateSubmissions]);
  if (s.videoCoveragePercentage !== null && s.videoCoveragePercentage < t.lowVideoCoveragePercentage)
    fired.push(['low_video_coverage', round1(s.videoCoveragePercentage)]);
  const score = fired.reduce((n, [rule]) => n + riskWeights[rule], 0);
  const level =
    score >= riskLevelScores.high[0]
      ? 'high'
      : score >= riskLevelScores.medium[0]
        ? 'medium'
        : score >= riskLevelScores.low[0]
          ? 'low'
          : 'none';
  return { score, level, reasons: fired.map(([rule, value]) => `${rule}:${value}`) };
}

/** Least-squares slope of y over x from the regression sums; null when x does not vary. */
export function slope(n: number, sumX: number, sumXX: number, sumY: number, sumXY: number): number | null {
  const denominator = n * sumXX - sumX * sumX;
  if (n < 2 || Math.abs(denominator) < 1e-9) return null;
  return (n * sumXY - sumX * sumY) / denominator;
}

/** Zero-padded rank key: higher scores first, then student and course ids, so one text column orders a list. */
export const riskRank = (score: number, studentId: string, courseId: string): string =>
  `${String(100 - Math.min(100, Math.max(0, Math.round(score)))).padStart(3, '0')}|${studentId}|${courseId}`;

/** The `riskRank` values [from, to) of a level's scores (none and dropped share score 0, so their band). */
export function riskRankRange(level: RiskAssessment['level']): { from: string; to: string } {
  const [low, high] = riskLevelScores[level];
  const pad = (n: number) => String(n).padStart(3, '0');
  return { from: pad(100 - high), to: pad(100 - low + 1) };
}

/**
 * Listing partitions: the directory and ranking tables split their list into this many partitions in the
 * list's own order (every value of bucket b sorts before every value of bucket b + 1), so a page or a
 * prefix search reads the one partition its range starts in, and continues into the next ones only when
 * that partition ends before the page does.
 */
export const listingBuckets = 64;

/**
 * The listing partition of an id: its first UTF-16 code unit halved (ids are ASCII, so at most 63), which
 * keeps the list's order across partitions. Ids sharing a first character share a partition.
 */
export function listingBucket(id: string): number {
  return Math.min(listingBuckets - 1, (id.charCodeAt(0) || 0) >> 1);
}

/**
 * The listing partition of a `riskRank` value: its 3-digit `100 − score` in 64 ordered bands, so the
 * ranking's partitions follow the list's order (highest scores first) and a level reads only its bands.
 */
export function riskRankBucket(rank: string): number {
  const fromTop = Number(rank.slice(0, 3));
  if (!Number.isInteger(fromTop) || fromTop < 0 || fromTop > 100) throw new Error(`not a risk rank: ${rank}`);
  return Math.floor((fromTop * listingBuckets) / 101);
}
