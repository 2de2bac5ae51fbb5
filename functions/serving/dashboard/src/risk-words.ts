/** The at-risk rules' reasons (`rule:value`, as student_course_risk stores them) in words. */
const words: Record<string, (value: string) => string> = {
  inactive: (v) => `no activity in the course for ${v} days`,
  quiz_falling: (v) => `quiz scores falling ${v.replace(/^-/, '')} points per week`,
  low_quiz_score: (v) => `mean quiz score ${v} % of the maximum`,
  missed_assignments: (v) => `${v} assignments opened but not submitted`,
  late_submissions: (v) => `${v} submissions after the due date`,
  low_video_coverage: (v) => `watched ${v} % of the course's videos`,
};

export function reasonText(reason: string): string {
  const [rule = '', value = ''] = reason.split(':');
  return words[rule]?.(value) ?? reason;
}

/** Reasons served as a list (the risk routes) or as the stored comma-separated text. */
export function reasonsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value ? value.split(', ') : [];
}

export const reasonsText = (value: unknown): string => reasonsOf(value).map(reasonText).join('; ') || '–';
