/** The serving function's /metrics: request latency by route template and status (embedded store). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeLabeller } from '../src/metrics.ts';
import { type Running, startServing } from './server.ts';

describe('serving metrics', () => {
  let dir: string;
  let api: Running;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ula-serving-metrics-'));
    api = await startServing({
      ULA_DATA_DIR: dir,
      ULA_CASSANDRA_CONTACT_POINTS: undefined,
      ULA_API_TOKEN: undefined,
      ULA_CORS_ORIGINS: undefined,
    });
  });
  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('labels a path with its route template, never an id', () => {
    const routeOf = routeLabeller([{ path: '/api/v1/courses/{courseId}' }, { path: '/api/v1/views/{view}' }]);
    expect(routeOf('/api/v1/courses/C042')).toBe('/api/v1/courses/{courseId}');
    expect(routeOf('/api/v1/views/active_users/')).toBe('/api/v1/views/{view}');
    expect(routeOf('/api/v1/openapi.json')).toBe('/api/v1/openapi.json');
    expect(routeOf('/api/v1/nope/x')).toBe('other');
    expect(routeOf('/app.js')).toBe('dashboard');
  });

  it('times each request into ula_serving_request_duration_seconds by route and status', async () => {
    expect((await api.get('/api/v1/health')).status).toBe(200);
    expect((await api.get('/api/v1/courses/C1/students?limit=x')).status).toBe(400);
    expect((await api.get('/')).status).toBe(200);
    const text = (await api.get('/metrics')).text;
    /** The value of the series `name` whose labels include all of `labels` (any order). */
    const value = (name: string, labels: Record<string, string>) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`))
        .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
        .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))[0];
    const count = 'ula_serving_request_duration_seconds_count';
    expect(value(count, { route: '/api/v1/health', method: 'GET', status: '200', function: 'serving' })).toBe(
      1,
    );
    expect(value(count, { route: '/api/v1/courses/{courseId}/students', status: '400' })).toBe(1);
    expect(value('ula_serving_request_duration_seconds_bucket', { le: '+Inf', route: 'dashboard' })).toBe(1);
    expect(text).toContain('faas_invocations'); // the runtime's own metrics are still there
  });
});
