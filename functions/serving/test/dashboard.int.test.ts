/**
 * The dashboard in a real headless Chromium (playwright-core, /usr/bin/chromium installed by
 * scripts/ensure-chromium.sh): every page loads with its charts and no browser error; a student beyond the
 * first 500 found by search; sorting, paging and a CSV download checked against the API; a course then one of
 * its students; the at-risk list and its filters; a phone-width run. Screenshots go to test-artifacts/
 * (docs/img/dashboard-*.png are copies). The function runs under faas-js-runtime on the embedded store, seeded
 * with 620 students in 8 courses (the real-stack API is covered by api.int.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTables, type LmsEvent, localCalendar, openViewStore } from '@ula/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { richScenario, seed } from './fixture.ts';
import { type Running, startServing } from './server.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const calendar = localCalendar('Asia/Ho_Chi_Minh');
const studentCount = 620;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The rich scenario plus grades, assignments opened and never submitted, and drops (course page panels). */
function scenarioWithAssessments() {
  const s = richScenario(calendar, studentCount, 8, 3000);
  let n = 0;
  const event = (category: string, eventType: string, data: Record<string, unknown>): LmsEvent =>
    ({
      id: `0190f000-0000-7000-9000-${String(++n).padStart(12, '0')}`,
      category,
      eventType,
      time: new Date(s.now - 2 * 86_400_000 - n * 1000).toISOString(),
      data,
    }) as unknown as LmsEvent;
  const enrolments = s.events.filter((e) => e.eventType === 'COURSE_ENROLLED');
  enrolments.forEach((e, i) => {
    const student = e.data.user_id as string;
    const course = (e.data as unknown as { course_id: string }).course_id;
    if (i % 2 === 0)
      s.events.push(
        event('assessment', 'GRADE_ASSIGNMENT', {
          user_id: 'T001',
          role: 'teacher',
          student_id: student,
          course_id: course,
          assignment_id: `${course}-A1`,
          score: (i * 7) % 21,
          max_score: 20,
        }),
      );
    if (i % 5 === 0)
      for (const a of ['A2', 'A3'])
        s.events.push(
          event('assessment', 'VIEW_ASSIGNMENT_FIRST_TIME', {
            user_id: student,
            role: 'student',
            course_id: course,
            assignment_id: `${course}-${a}`,
          }),
        );
    for (let k = 0; k <= i % 3; k++)
      s.events.push(
        event('course', 'DOWNLOAD_MATERIAL', {
          user_id: student,
          role: 'student',
          course_id: course,
          material_id: `${course}-M${1 + ((i + k) % 4)}`,
          material_type: (['slides', 'pdf', 'notes', 'code'] as const)[(i + k) % 4],
        }),
      );
    if (i % 23 === 0)
      s.events.push(
        event('course', 'COURSE_DROPPED', { user_id: student, role: 'student', course_id: course }),
      );
  });
  return s;
}

describe('dashboard in headless Chromium', () => {
  let api: Running;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];

  const watch = (p: Page) => {
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    p.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
  };

  beforeAll(async () => {
    execFileSync('bash', [join(root, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
    mkdirSync(artifacts, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'ula-dashboard-'));
    const store = openViewStore({ cassandra: undefined, dataDir: dir });
    await store.ensureTables(allTables);
    await seed(store, scenarioWithAssessments(), calendar);
    await store.close();
    api = await startServing({
      ULA_DATA_DIR: dir,
      ULA_CASSANDRA_CONTACT_POINTS: undefined,
      ULA_API_TOKEN: undefined,
      ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    watch(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const apiJson = async <T>(path: string): Promise<T> =>
    (await fetch(`${api.url}${path}`)).json() as Promise<T>;
  /** Waits for a page to finish rendering after navigation (data-loaded changes). */
  const open = async (p: Page, hash: string, name: string) => {
    const before = await p.evaluate('document.querySelector("main")?.dataset.loaded ?? ""').catch(() => '');
    await p.goto(`${api.url}/${hash}`);
    await p.waitForFunction(
      `document.querySelector('main')?.dataset.page === ${JSON.stringify(name)} && document.querySelector('main')?.dataset.loaded !== ${JSON.stringify(before)}`,
      undefined,
      { timeout: 20_000 },
    );
  };
  const loadedAfter = async (p: Page, name: string, action: () => Promise<unknown>) => {
    const before = await p.evaluate('document.querySelector("main")?.dataset.loaded ?? ""');
    await action();
    await p.waitForFunction(
      `document.querySelector('main')?.dataset.page === ${JSON.stringify(name)} && document.querySelector('main')?.dataset.loaded !== ${JSON.stringify(before)}`,
      undefined,
      { timeout: 20_000 },
    );
  };
  const chart = (name: string, attribute: string) =>
    page.getAttribute(`canvas[data-chart="${name}"]`, `data-${attribute}`);
  const rowIds = (testid: string) =>
    page.$$eval(`[data-testid="${testid}"] tbody tr`, (rs) => rs.map((r) => r.getAttribute('data-id')));
  const shot = async (name: string, p: Page = page) => {
    await p.screenshot({ path: join(artifacts, `dashboard-${name}.png`), fullPage: true });
    expect(await accessibilityViolations(p), name).toEqual([]);
  };
  /** axe-core's WCAG 2.1 A and AA rules on the page as shown (contrast, names, labels, table headers, ARIA). */
  const accessibilityViolations = async (p: Page) => {
    if (!(await p.evaluate('typeof window.axe !== "undefined"')))
      await p.addScriptTag({ content: axeSource });
    const result = (await p.evaluate(
      `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`,
    )) as { violations: { id: string; nodes: { target: string[] }[] }[]; passes: { id: string }[] };
    // The rules that matter here ran and found something to check.
    const passed = result.passes.map((r) => r.id);
    for (const rule of ['color-contrast', 'th-has-data-cells', 'label', 'link-name'])
      if (rule !== 'label' || (await p.$('input'))) expect(passed, rule).toContain(rule);
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };

  it('overview: KPIs, charts with legends and summaries, freshness of both layers', async () => {
    await open(page, '#/overview', 'overview');
    const kpi = async (id: string) => (await page.textContent(`[data-testid="${id}"] .value`))?.trim();
    const summary = await apiJson<{ total_students: number; total_courses: number }>('/api/v1/summary');
    expect(Number((await kpi('kpi-students'))?.replaceAll(',', ''))).toBe(summary.total_students);
    expect(summary.total_students).toBeGreaterThan(studentCount);
    expect(Number(await kpi('kpi-courses'))).toBe(summary.total_courses);
    expect(await kpi('kpi-speed-status')).toBe('healthy');
    expect(Number(await chart('active-users', 'points'))).toBeGreaterThan(300);
    expect(Number(await chart('top-courses', 'points'))).toBeGreaterThan(5);
    expect(Number(await chart('daily-active-users', 'points'))).toBe(14);
    expect(Number(await chart('activity-mix', 'points'))).toBe(5);
    expect(Number(await chart('batch-recent-activity', 'points'))).toBe(14);
    // The engagement legend (drawn by Chart.js) names each level of the API with its count.
    const engagement = await apiJson<{ levels: { label: string; student_count: number }[] }>(
      '/api/v1/engagement-distribution',
    );
    expect(await chart('engagement', 'legend')).toBe(
      engagement.levels.map((l) => `${l.label} (${l.student_count})`).join('|'),
    );
    // Batch and speed parts are separate legend entries; every chart has a legend and a text summary.
    expect(await chart('daily-active-users', 'legend')).toBe('batch (exact)|speed (live)');
    for (const canvas of await page.$$('canvas')) {
      expect(await canvas.getAttribute('data-legend')).toBeTruthy();
      expect(await canvas.getAttribute('aria-label')).toMatch(/\(.+\)/); // units in parentheses
    }
    expect(await page.$$eval('figcaption', (fs) => fs.every((f) => (f.textContent ?? '').length > 10))).toBe(
      true,
    );
    expect(await page.textContent('[data-testid="speed-badge"]')).toMatch(/speed healthy/);
    expect(await page.textContent('[data-testid="batch-badge"]')).toMatch(/batch healthy/);
    await shot('overview');
  });

  it('students: pages, a student beyond the first 500 by search, sort, CSV of the table', async () => {
    await open(page, '#/students', 'students');
    const { total_students: total } = await apiJson<{ total_students: number }>('/api/v1/summary');
    const heading = () => page.textContent('[data-testid="students-table"] h2');
    expect(await heading()).toBe(`Students (1–50 of ${total})`);
    const first = await rowIds('students');
    expect(first).toHaveLength(50);
    expect(first).toEqual([...first].sort());
    expect(await page.isDisabled('[data-testid="students-previous"]')).toBe(true);
    await loadedAfter(page, 'students', () => page.click('[data-testid="students-next"]'));
    expect(await heading()).toBe(`Students (51–100 of ${total})`);
    const second = await rowIds('students');
    expect(second).toHaveLength(50);
    expect(second[0]! > first.at(-1)!).toBe(true);
    expect(page.url()).toMatch(/#\/students\?at=/);
    await loadedAfter(page, 'students', () => page.click('[data-testid="students-previous"]'));
    expect(await rowIds('students')).toEqual(first);

    // S615 sorts after the first 500 ids; a prefix search finds it (and the URL says so).
    const ids = Array.from({ length: studentCount }, (_, i) => `S${String(i + 1).padStart(3, '0')}`).sort();
    expect(ids.indexOf('S615')).toBeGreaterThan(500);
    await page.fill('[data-testid="students-search"]', 'S61');
    await loadedAfter(page, 'students', () => page.press('[data-testid="students-search"]', 'Enter'));
    expect(page.url()).toContain('#/students?q=S61');
    expect(await rowIds('students')).toEqual(ids.filter((id) => id.startsWith('S61')));

    // Sort by student id, descending, from the column header (server-side: the whole list; ascending is the default).
    expect(await page.getAttribute('[data-testid="students"] th[aria-sort]', 'aria-sort')).toBe('ascending');
    await loadedAfter(page, 'students', () =>
      page.click('[data-testid="students"] th a[data-sort="student_id"]'),
    );
    expect(page.url()).toContain('order=desc');
    expect(await page.getAttribute('[data-testid="students"] th[aria-sort]', 'aria-sort')).toBe('descending');
    const descending = await rowIds('students');
    expect(descending).toEqual(ids.filter((id) => id.startsWith('S61')).reverse());
    // Another column sorts the page shown.
    await loadedAfter(page, 'students', () =>
      page.click('[data-testid="students"] th a[data-sort="total_logins"]'),
    );
    const loginColumn = await page.$$eval('[data-testid="students"] thead th', (ths) =>
      ths.findIndex((th) => th.textContent?.startsWith('total logins')),
    );
    const logins = await page.$$eval(
      '[data-testid="students"] tbody tr',
      (rs, column) => rs.map((r) => Number(r.children[column]?.textContent?.replaceAll(',', ''))),
      loginColumn,
    );
    expect(logins).toEqual([...logins].sort((a, b) => a - b));

    // Every column is reachable: the table scrolls sideways inside its region.
    const columns = await page.$$eval('[data-testid="students"] thead th', (ths) => ths.length);
    const first3 = await apiJson<{ items: Record<string, unknown>[] }>('/api/v1/students?q=S61&limit=1');
    expect(columns).toBe(Object.keys(first3.items[0]!).length);

    // CSV of the table shown: the API's CSV of the same query.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="students-csv"]'),
    ]);
    expect(download.suggestedFilename()).toBe('students.csv');
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(csv[0]!.split(',')[0]).toBe('student_id');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(ids.filter((id) => id.startsWith('S61')));
    await shot('students');

    // Open the student beyond 500 from the keyboard: its id cell is a link; the new page's heading takes focus.
    await page.focus('[data-testid="students"] tbody tr[data-id="S615"] th a');
    await loadedAfter(page, 'student', () => page.keyboard.press('Enter'));
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Student S615');
    expect(page.url()).toContain('#/students/S615');
    expect(await page.textContent('[data-testid="student-detail"] h2')).toBe('Student S615');
    const courses = await apiJson<{ items: { course_id: string }[] }>('/api/v1/students/S615/courses');
    expect(await rowIds('student-courses')).toEqual(courses.items.map((c) => c.course_id));
    const activity = await apiJson<{ days: { date: string; interactions: number }[] }>(
      '/api/v1/students/S615/activity?days=14',
    );
    expect(await page.textContent('[data-testid="student-7d"]')).toContain(
      `${activity.days.at(-1)!.interactions} interactions`,
    );
    expect(Number(await chart('student-activity', 'points'))).toBe(14);
  });

  it('courses: sorted list, a course page with every panel, then one of its students', async () => {
    await open(page, '#/courses', 'courses');
    const { total_courses } = await apiJson<{ total_courses: number }>('/api/v1/summary');
    expect(await page.textContent('[data-testid="courses-table"] h2')).toBe(
      `Courses (1–${total_courses} of ${total_courses})`,
    );
    await loadedAfter(page, 'courses', () =>
      page.click('[data-testid="courses"] th a[data-sort="total_enrolled_students"]'),
    );
    await loadedAfter(page, 'courses', () =>
      page.click('[data-testid="courses"] th a[data-sort="total_enrolled_students"]'),
    );
    const sorted = await apiJson<{ items: { course_id: string }[] }>(
      '/api/v1/courses?sort=total_enrolled_students&order=desc&limit=50',
    );
    expect(await rowIds('courses')).toEqual(sorted.items.map((c) => c.course_id));
    await shot('courses');

    const id = 'CS101';
    await loadedAfter(page, 'course', () => page.click(`[data-testid="courses"] tbody tr[data-id="${id}"]`));
    expect(page.url()).toContain(`#/courses/${id}`);
    expect(await page.textContent('[data-testid="course-detail"] h2')).toBe(`Course ${id}`);
    for (const name of [
      'course-enrolments',
      'course-active-learners',
      'course-video-dropoff',
      'course-quiz-distribution',
      'course-timeliness',
      'course-materials',
    ])
      expect(Number(await chart(name, 'points')), name).toBeGreaterThan(0);
    expect(await chart('course-enrolments', 'legend')).toBe('enrolments|drops');
    // Score bands in % of the maximum, as the score-distribution route counts them.
    const scores = await apiJson<Record<'quiz' | 'assignment', { results: number; bands: unknown[] }>>(
      `/api/v1/courses/${id}/score-distribution`,
    );
    for (const assessment of ['quiz', 'assignment'] as const) {
      expect(scores[assessment].results, assessment).toBeGreaterThan(0);
      expect(Number(await chart(`course-${assessment}-distribution`, 'points'))).toBe(
        scores[assessment].bands.length,
      );
      expect(await page.textContent(`[data-summary="course-${assessment}-distribution"]`)).toContain(
        `${scores[assessment].results.toLocaleString('en-US')} results`,
      );
    }
    // The per-course panels read their routes: videos lowest completion first, timeliness and learners per day.
    const videos = await apiJson<{ items: { video_id: string }[] }>(`/api/v1/courses/${id}/videos`);
    expect(await rowIds('course-video-table')).toEqual(videos.items.slice(0, 20).map((v) => v.video_id));
    const timeliness = await apiJson<{ totals: { submissions: number; late_submissions: number } }>(
      `/api/v1/courses/${id}/timeliness?days=28`,
    );
    expect(await page.textContent('[data-summary="course-timeliness"]')).toContain(
      `${timeliness.totals.submissions.toLocaleString('en-US')} submissions: `,
    );
    const learners = await apiJson<{ days: { date: string; active_students: number }[] }>(
      `/api/v1/courses/${id}/active-learners?days=28`,
    );
    expect(Number(await chart('course-active-learners', 'points'))).toBe(learners.days.length);
    expect(await page.textContent('[data-summary="course-active-learners"]')).toContain(
      `Last day ${learners.days.at(-1)!.date}: ${learners.days.at(-1)!.active_students.toLocaleString('en-US')} students`,
    );
    const students = await apiJson<{ total: number; items: { student_id: string }[] }>(
      `/api/v1/courses/${id}/students?limit=50`,
    );
    expect(await rowIds('course-students')).toEqual(students.items.map((s) => s.student_id));
    // The students table as CSV: the API's rows of the same page, risk reasons as JSON lists.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="course-students-csv"]'),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    const header = csv[0]!.split(',');
    expect(header).toContain('risk_level');
    const idColumn = header.indexOf('student_id');
    expect(csv.slice(1).map((l) => l.split(',')[idColumn])).toEqual(students.items.map((s) => s.student_id));
    await loadedAfter(page, 'course', () => page.click('[data-testid="course-students-by-risk"]'));
    const byRisk = await apiJson<{ items: { student_id: string }[] }>(
      `/api/v1/courses/${id}/students?limit=50&sort=risk`,
    );
    expect(await rowIds('course-students')).toEqual(byRisk.items.map((s) => s.student_id));
    await shot('course');

    const student = byRisk.items[0]!.student_id;
    await loadedAfter(page, 'student', () =>
      page.click(`[data-testid="course-students"] tbody tr[data-id="${student}"]`),
    );
    expect(page.url()).toContain(`#/students/${student}`);
    expect(await page.textContent('[data-testid="student-detail"] h2')).toBe(`Student ${student}`);
    expect(await rowIds('student-courses')).toContain(id);
    await shot('student');
  });

  it('at risk: highest first with reasons in words, filtered by level and by course (in the URL)', async () => {
    await open(page, '#/risk', 'risk');
    const all = await apiJson<{ items: { student_id: string; risk_score: number }[] }>(
      '/api/v1/risk?limit=50',
    );
    expect(await rowIds('risk')).toEqual(all.items.map((r) => r.student_id));
    const reasons = await page.$$eval('[data-testid="risk"] tbody tr', (rs) =>
      rs.map((r) => r.children[4]?.textContent ?? ''),
    );
    expect(
      reasons.some((t) => /no activity in the course for \d+ days|% of the maximum|watched/.test(t)),
    ).toBe(true);
    expect(reasons.join(' ')).not.toMatch(/\w+_\w+:\d/); // no raw rule:value left
    await page.selectOption('[data-testid="risk-level"]', 'medium');
    await page.fill('[data-testid="risk-course"]', 'CS102');
    await loadedAfter(page, 'risk', () => page.click('[data-testid="risk-table"] button[type="submit"]'));
    expect(page.url()).toContain('#/risk?course=CS102&level=medium');
    const filtered = await apiJson<{ items: { student_id: string }[] }>(
      '/api/v1/risk?course_id=CS102&level=medium&limit=50',
    );
    expect(await rowIds('risk')).toEqual(filtered.items.map((r) => r.student_id));
    await shot('risk');
  });

  it('works at phone width (375 px) with nothing wider than the screen but the scrolling tables', async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true });
    watch(phone);
    try {
      for (const [hash, name] of [
        ['#/overview', 'overview'],
        ['#/students?q=S6', 'students'],
        ['#/courses/CS101', 'course'],
        ['#/students/S615', 'student'],
        ['#/risk', 'risk'],
      ] as const) {
        await open(phone, hash, name);
        expect(await phone.evaluate('document.documentElement.scrollWidth'), hash).toBeLessThanOrEqual(375);
        if (name === 'overview' || name === 'course') await shot(`phone-${name}`, phone);
      }
    } finally {
      await phone.close();
    }
  });

  it('refreshes the overview by itself and logged no browser errors', async () => {
    await open(page, '#/overview', 'overview');
    const first = await page.getAttribute('main', 'data-loaded');
    await page.waitForFunction(
      `document.querySelector('main')?.dataset.loaded !== ${JSON.stringify(first)}`,
      undefined,
      { timeout: 20_000 },
    );
    expect(errors).toEqual([]);
  });
});
