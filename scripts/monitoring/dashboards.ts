/**
 * The Grafana dashboards of scripts/k8s/manifests/monitoring/dashboards/*.json checked against the metrics the
 * code registers: every metric a panel's PromQL names must exist in one of the components' prom-client
 * registries (functions/{ingest,speed,serving,batch}/src/metrics.ts), and every panel needs a title and a
 * unit. Used by scripts/test/dashboards.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { batchMetrics } from '../../functions/batch/src/metrics.ts';
import { ingestMetrics } from '../../functions/ingest/src/metrics.ts';
import { servingRegistry } from '../../functions/serving/src/metrics.ts';
import { speedRegistry } from '../../functions/speed/src/metrics.ts';

export const dashboardsDir = new URL('../k8s/manifests/monitoring/dashboards/', import.meta.url).pathname;

export interface Panel {
  id?: number;
  type?: string;
  title?: string;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}
export interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
}

export function readDashboards(dir = dashboardsDir): { file: string; dashboard: Dashboard }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** Every panel that charts something (rows' nested panels included, rows themselves excluded). */
export function chartPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: Panel[] | undefined) => {
    for (const p of panels ?? []) {
      if (p.type === 'row') walk(p.panels);
      else out.push(p);
    }
  };
  walk(dashboard.panels);
  return out;
}

const keywords = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads (functions, keywords, labels, durations and Grafana variables left out). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries: [5m], [$__rate_interval]
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const rest = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (keywords.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** The registries of every component (fresh instances where the code makes them per process). */
export function componentRegistries(): Record<string, Registry> {
  return {
    ingest: ingestMetrics().registry,
    speed: speedRegistry,
    serving: servingRegistry,
    batch: batchMetrics().registry,
  };
}

/** Every series name the registries expose: histograms as _bucket/_sum/_count, summaries as _sum/_count. */
export async function registeredNames(registries = componentRegistries()): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const [component, registry] of Object.entries(registries)) {
    for (const metric of await registry.getMetricsAsJSON()) {
      const type = String(metric.type); // prom-client's MetricType enum holds these strings
      const series =
        type === 'histogram'
          ? ['_bucket', '_sum', '_count'].map((s) => metric.name + s)
          : type === 'summary'
            ? [metric.name, `${metric.name}_sum`, `${metric.name}_count`]
            : [metric.name];
      for (const s of series) names.set(s, component);
    }
  }
  return names;
}

/** Problems of one dashboard: panels without title/unit/query, metrics no component registers. */
export function dashboardProblems(
  file: string,
  dashboard: Dashboard,
  registered: Map<string, string>,
): string[] {
  const problems: string[] = [];
  if (!dashboard.uid || !dashboard.title) problems.push(`${file}: the dashboard needs a uid and a title`);
  const panels = chartPanels(dashboard);
  if (panels.length === 0) problems.push(`${file}: no panels`);
  for (const panel of panels) {
    const where = `${file} panel ${panel.id ?? '?'} "${panel.title ?? ''}"`;
    if (!panel.title?.trim()) problems.push(`${where}: no title`);
    if (!panel.fieldConfig?.defaults?.unit?.trim())
      problems.push(`${where}: no unit (fieldConfig.defaults.unit)`);
    const exprs = (panel.targets ?? []).map((t) => t.expr ?? '').filter((e) => e.trim());
    if (exprs.length === 0) problems.push(`${where}: no PromQL query`);
    for (const expr of exprs) {
      const names = metricNames(expr);
      if (names.length === 0) problems.push(`${where}: "${expr}" reads no metric`);
      for (const name of names)
        if (!registered.has(name))
          problems.push(`${where}: metric ${name} is not registered by any component`);
    }
  }
  return problems;
}
