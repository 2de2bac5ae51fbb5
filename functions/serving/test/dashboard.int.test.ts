/**
 * The dashboard in a real headless Chromium (playwright-core, /usr/bin/chromium installed by
 * scripts/ensure-chromium.sh): each page loads with data, drill-downs navigate, screenshots go to
 * test-artifacts/. The function runs under faas-js-runtime on the embedded store, seeded with a
 * livelier data set (the real-stack API is covered by api.int.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTables, localCalendar, openViewStore } from '@ula/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { richScenario, seed } from './fixture.ts';
import { type Running, startServing } from './server.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const calendar = localCalendar('Asia/Ho_Chi_Minh');

describe('dashboard in headless Chromium', () => {
  let api: Running;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    execFileSync('bash', [join(root, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
    mkdirSync(artifacts, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'ula-dashboard-'));
    const store = openViewStore({ cassandra: undefined, dataDir: dir });
    await store.ensureTables(allTables);
    await seed(store, richScenario(calendar), calendar);
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
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const apiJson = async <T>(path: string): Promise<T> =>
    (await fetch(`${api.url}${path}`)).json() as Promise<T>;
  const loaded = (name: string) => page.waitForSelector(`main[data-page="${name}"]`, { timeout: 20_000 });

  it('overview: KPIs, every chart with data, freshness of both layers', async () => {
    await page.goto(`${api.url}/#/overview`);
    await loaded('overview');
    const kpi = async (id: string) => (await page.textContent(`[data-testid="${id}"] .value`))?.trim();
    expect(Number(await kpi('kpi-students'))).toBeGreaterThan(50);
    expect(Number(await kpi('kpi-courses'))).toBeGreaterThanOrEqual(8);
    expect(Number(await kpi('kpi-active-courses'))).toBeGreaterThan(0);
    expect(await kpi('kpi-speed-status')).toBe('healthy');
    expect(Number(await page.getAttribute('svg[data-chart="active-users"]', 'data-points'))).toBeGreaterThan(
      300,
    );
    expect(Number(await page.getAttribute('svg[data-chart="top-courses"]', 'data-bars'))).toBeGreaterThan(5);
    expect(Number(await page.getAttribute('svg[data-chart="daily-active-users"]', 'data-bars'))).toBe(14);
    expect(Number(await page.getAttribute('svg[data-chart="activity-mix"]', 'data-bars'))).toBe(5);
    expect(Number(await page.getAttribute('svg[data-chart="engagement"]', 'data-slices'))).toBeGreaterThan(0);
    // The legend names each level of /api/v1/engagement-distribution with its count, as the API labels it.
    const engagement = await apiJson<{ levels: { label: string; student_count: number }[] }>(
      '/api/v1/engagement-distribution',
    );
    expect(
      await page.$$eval('svg[data-chart="engagement"] > text', (ts) => ts.map((t) => t.textContent)),
    ).toEqual([
      String(engagement.levels.reduce((n, l) => n + l.student_count, 0)),
      ...engagement.levels.map((l) => `${l.label} (${l.student_count})`),
    ]);
    // Axis labels are drawn (ticks of the line chart).
    expect((await page.$$('svg[data-chart="active-users"] text')).length).toBeGreaterThanOrEqual(10);
    expect(Number(await page.getAttribute('svg[data-chart="top-videos"]', 'data-bars'))).toBeGreaterThan(0);
    // Days before the watermark drawn in batch blue, today in speed green.
    const fills = await page.$$eval('svg[data-chart="daily-active-users"] rect', (rs) =>
      rs.map((r) => r.getAttribute('fill')),
    );
    expect(fills.at(-1)).toBe('#10b981');
    expect(fills.at(-2)).toBe('#3b82f6');
    expect(await page.textContent('[data-testid="speed-badge"]')).toMatch(/speed healthy/);
    expect(await page.textContent('[data-testid="batch-badge"]')).toMatch(/batch healthy/);
    await page.screenshot({ path: join(artifacts, 'dashboard-overview.png'), fullPage: true });
  });

  it('courses: list, drill down to a course and its students, then to a student', async () => {
    await page.click('nav a[data-nav="courses"]');
    await loaded('courses');
    const rows = await page.$$('[data-testid="courses"] tbody tr');
    expect(rows.length).toBeGreaterThanOrEqual(8);
    const { total_courses } = await apiJson<{ total_courses: number }>('/api/v1/summary');
    expect(await page.textContent('[data-testid="courses-table"] h2')).toBe(
      `Courses (1–${rows.length} of ${total_courses})`,
    );
    expect(await page.isDisabled('[data-testid="courses-next"]')).toBe(total_courses <= 50);
    const id = await page.getAttribute('[data-testid="courses"] tbody tr[data-id^="CS"]', 'data-id');
    await page.click(`[data-testid="courses"] tbody tr[data-id="${id}"]`);
    await page.waitForSelector('[data-testid="course-students"] tbody tr', { timeout: 20_000 });
    expect(page.url()).toContain(`#/courses/${id}`);
    expect(await page.textContent('[data-testid="course-detail"] h2')).toContain(id!);
    expect((await page.$$('[data-testid="course-students"] tbody tr')).length).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'dashboard-courses.png'), fullPage: true });
    const student = await page.getAttribute('[data-testid="course-students"] tbody tr', 'data-id');
    await page.click('[data-testid="course-students"] tbody tr');
    await page.waitForSelector(`[data-testid="student-detail"] h2:has-text("${student}")`, {
      timeout: 20_000,
    });
    expect(page.url()).toContain(`#/students/${student}`);
  });

  it('students: list, drill down to a student, their courses and one course in detail', async () => {
    await page.click('nav a[data-nav="students"]');
    await loaded('students');
    // Pages of 50 from the cursor list, counted by the summary's total; Next and Previous walk them.
    const { total_students: total } = await apiJson<{ total_students: number }>('/api/v1/summary');
    expect(total).toBeGreaterThan(50);
    expect(total).toBeLessThanOrEqual(100);
    const heading = () => page.textContent('[data-testid="students-table"] h2');
    const ids = () =>
      page.$$eval('[data-testid="students"] tbody tr', (rs) => rs.map((r) => r.getAttribute('data-id')));
    expect(await heading()).toBe(`Students (1–50 of ${total})`);
    const first = await ids();
    expect(first).toHaveLength(50);
    expect(await page.isDisabled('[data-testid="students-previous"]')).toBe(true);
    await page.click('[data-testid="students-next"]');
    await page.waitForSelector(
      `[data-testid="students-table"] h2:has-text("Students (51–${total} of ${total})")`,
    );
    const second = await ids();
    expect(second).toHaveLength(total - 50);
    expect(new Set([...first, ...second]).size).toBe(total);
    expect([...first, ...second]).toEqual([...first, ...second].sort());
    expect(await page.isDisabled('[data-testid="students-next"]')).toBe(true);
    await page.click('[data-testid="students-previous"]');
    await page.waitForSelector('[data-testid="students-table"] h2:has-text("Students (1–50 of")');
    expect(await ids()).toEqual(first);
    await page.click('[data-testid="students"] tbody tr[data-id^="S0"]');
    await page.waitForSelector('[data-testid="student-courses"] tbody tr', { timeout: 20_000 });
    const course = await page.getAttribute('[data-testid="student-courses"] tbody tr', 'data-id');
    await page.click('[data-testid="student-courses"] tbody tr');
    await page.waitForSelector('[data-testid="student-course-detail"] dl', { timeout: 20_000 });
    expect(page.url()).toMatch(new RegExp(`#/students/S\\d+/courses/${course}`));
    expect(await page.textContent('[data-testid="student-course-detail"]')).toMatch(/videos watched/);
    await page.screenshot({ path: join(artifacts, 'dashboard-students.png'), fullPage: true });
  });

  it('refreshes by itself and logged no browser errors', async () => {
    await page.click('nav a[data-nav="overview"]');
    await loaded('overview');
    const first = await page.getAttribute('main', 'data-loaded');
    // A string function body: it runs in the browser (no DOM types in this Node project).
    await page.waitForFunction(
      `document.querySelector('main')?.dataset.loaded !== ${JSON.stringify(first)}`,
      undefined,
      {
        timeout: 20_000,
      },
    );
    expect(errors).toEqual([]);
  });
});
