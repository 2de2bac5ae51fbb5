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
  const level = score >= 50 ? 'high' : score >= 25 ? 'medium' : score > 0 ? 'low' : 'none';
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

/** Listing partitions: ids are spread over this many partitions of the directory and ranking tables. */
export const listingBuckets = 16;

/** The listing partition of an id (FNV-1a of its UTF-16 code units, modulo `listingBuckets`). */
export function listingBucket(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % listingBuckets;
}
