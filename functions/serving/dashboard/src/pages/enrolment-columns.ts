/**
 * The columns of an enrolment's progress and risk, shared by the course's students table and the student's
 * courses table: the same enrolment row seen from either side, so the same columns in the same order.
 */
import { num, pctText } from '../dom.ts';
import { reasonsText } from '../risk-words.ts';
import type { Column } from '../table.ts';

export interface EnrolmentColumnsSpec {
  /** The row's id: the student on a course's table, the course on a student's. */
  id: Column;
  /** The mean quiz and assignment scores (percent of the maximum): each side reads them from its own columns. */
  quiz: Pick<Column, 'key' | 'text'>;
  assignment: Pick<Column, 'key' | 'text'>;
  /** Columns between the materials downloaded and the last activity (the course's table: days inactive). */
  beforeLastActivity?: readonly Column[];
}

export function enrolmentColumns(spec: EnrolmentColumnsSpec): Column[] {
  return [
    spec.id,
    { key: 'enrollment_date', title: 'enrolled' },
    { key: 'dropped' },
    { key: 'videos_watched', numeric: true },
    {
      key: 'video_coverage_percentage',
      title: 'video coverage',
      numeric: true,
      text: (r) => pctText(num(r, 'video_coverage_percentage')),
    },
    { key: 'assignments_submitted', numeric: true },
    { key: 'quizzes_completed', numeric: true },
    { ...spec.quiz, title: 'mean quiz score', numeric: true },
    { ...spec.assignment, title: 'mean assignment score', numeric: true },
    { key: 'materials_downloaded', numeric: true },
    ...(spec.beforeLastActivity ?? []),
    { key: 'last_activity' },
    { key: 'risk_score', numeric: true },
    { key: 'risk_level' },
    { key: 'risk_reasons', title: 'reasons', text: (r) => reasonsText(r['risk_reasons']) },
  ];
}
