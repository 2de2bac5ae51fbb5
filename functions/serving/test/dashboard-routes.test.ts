/** The dashboard's pure parts under Node: hash routes (every page, id, filter and cursor page) and risk reasons in words. */
import { describe, expect, it } from 'vitest';
import { reasonsOf, reasonsText, reasonText } from '../dashboard/src/risk-words.ts';
import { cursorsOf, link, parseRoute, withParams } from '../dashboard/src/router.ts';

describe('dashboard routes', () => {
  it('parse pages, decoded ids and filters; the overview by default', () => {
    expect(parseRoute('')).toMatchObject({ page: 'overview', parts: [] });
    const course = parseRoute('#/courses/course-v1%3AOrg%2BX%2B2026?sort=risk');
    expect(course.page).toBe('courses');
    expect(course.parts).toEqual(['course-v1:Org+X+2026']);
    expect(course.params.get('sort')).toBe('risk');
  });

  it('link round-trips through parse, leaving out empty filters', () => {
    const href = link(['courses', 'course-v1:Org+X+2026'], { sort: 'risk', q: '', order: null });
    expect(href).toBe('#/courses/course-v1%3AOrg%2BX%2B2026?sort=risk');
    const back = parseRoute(href);
    expect(back.parts).toEqual(['course-v1:Org+X+2026']);
    expect([...back.params.keys()]).toEqual(['sort']);
  });

  it('keep the cursor stack in `at`; withParams replaces or removes one filter', () => {
    const route = parseRoute(`#/students?q=S1&at=${['eyJhIjoxfQ', 'eyJiIjoyfQ'].join('.')}`);
    expect(cursorsOf(route)).toEqual(['eyJhIjoxfQ', 'eyJiIjoyfQ']);
    expect(cursorsOf(parseRoute('#/students'))).toEqual([]);
    expect(withParams(route, { at: null, order: 'desc' })).toEqual({ q: 'S1', order: 'desc' });
  });
});

describe('risk reasons in words', () => {
  it('say each rule with its value', () => {
    expect(reasonText('inactive:12')).toBe('no activity in the course for 12 days');
    expect(reasonText('quiz_falling:-14.5')).toBe('quiz scores falling 14.5 points per week');
    expect(reasonText('low_quiz_score:42.5')).toBe('mean quiz score 42.5 % of the maximum');
    expect(reasonText('missed_assignments:3')).toBe('3 assignments opened but not submitted');
    expect(reasonText('late_submissions:2')).toBe('2 submissions after the due date');
    expect(reasonText('low_video_coverage:10')).toBe("watched 10 % of the course's videos");
  });

  it('keep an unknown rule as stored, and read lists or the stored text', () => {
    expect(reasonText('new_rule:1')).toBe('new_rule:1');
    expect(reasonsOf(['inactive:8'])).toEqual(['inactive:8']);
    expect(reasonsOf('inactive:8, late_submissions:2')).toEqual(['inactive:8', 'late_submissions:2']);
    expect(reasonsText('')).toBe('–');
    expect(reasonsText(['inactive:8', 'late_submissions:2'])).toBe(
      'no activity in the course for 8 days; 2 submissions after the due date',
    );
  });
});
