/**
 * Charts with Chart.js, bundled (only the controllers and scales used are registered, so the rest is
 * tree-shaken). Every chart is a <figure>: the canvas (role img, aria-label naming what it shows and its
 * units), Chart.js's legend, axis titles with units, and a text summary in the figcaption for screen readers
 * and for anyone who wants the numbers. The canvas carries data-chart/data-points/data-series for tests.
 */
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { h } from './dom.ts';

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#1f2937';
Chart.defaults.animation = false;

/** Layer colours (speed green, batch blue) and a palette of distinct colours with contrast on white. */
export const SPEED = '#047857';
export const BATCH = '#1d4ed8';
export const PALETTE = [
  '#1d4ed8',
  '#047857',
  '#b45309',
  '#b91c1c',
  '#6d28d9',
  '#0e7490',
  '#4b5563',
  '#be185d',
];

export interface Series {
  label: string;
  values: (number | null)[];
  color?: string;
  /** Bars of one stack add up (e.g. batch + speed parts of one total). */
  stack?: string;
}

export interface ChartSpec {
  /** Test and aria name, e.g. "course-enrolments". */
  name: string;
  /** What it shows, with units: the canvas's aria-label. */
  title: string;
  kind: 'line' | 'bar' | 'hbar' | 'doughnut';
  labels: string[];
  series: Series[];
  /** Axis titles with units (for horizontal bars x is the value axis). */
  xTitle?: string;
  yTitle?: string;
  /** A sentence or two with the numbers, shown under the chart. */
  summary: string;
  height?: number;
  /** Per-bar colours of a single series (e.g. drop-off risk). */
  barColors?: string[];
}

const pending = new WeakMap<HTMLCanvasElement, ChartSpec>();

export function chartFigure(spec: ChartSpec): HTMLElement {
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': spec.title,
    'data-chart': spec.name,
    'data-points': spec.labels.length,
    'data-series': spec.series.length,
  });
  pending.set(canvas, spec);
  const height = spec.height ?? (spec.kind === 'hbar' ? Math.max(160, spec.labels.length * 26 + 60) : 260);
  return h(
    'figure',
    { class: 'chart' },
    h('div', { class: 'canvas-box', style: `height:${height}px` }, canvas),
    h('figcaption', { class: 'caption', 'data-summary': spec.name }, spec.summary),
  );
}

function config(spec: ChartSpec): ChartConfiguration {
  const colorOf = (s: Series, i: number) => s.color ?? PALETTE[i % PALETTE.length]!;
  if (spec.kind === 'doughnut') {
    const values = spec.series[0]?.values ?? [];
    return {
      type: 'doughnut',
      data: {
        labels: spec.labels,
        datasets: [
          {
            label: spec.series[0]?.label ?? '',
            data: values.map((v) => v ?? 0),
            backgroundColor: spec.labels.map((_, i) => PALETTE[i % PALETTE.length]!),
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        plugins: {
          legend: {
            // Beside the ring on wide screens, under it on phones.
            position: window.matchMedia('(max-width: 600px)').matches ? 'bottom' : 'right',
            labels: {
              // The legend names each slice with its count, so it reads without hovering.
              generateLabels: (chart) =>
                Chart.overrides.doughnut.plugins.legend.labels
                  .generateLabels(chart)
                  .map((item, i) => ({ ...item, text: `${item.text} (${values[i] ?? 0})` })),
            },
          },
        },
      },
    };
  }
  const horizontal = spec.kind === 'hbar';
  const stacked = spec.series.some((s) => s.stack !== undefined);
  const axisTitle = (text: string | undefined) => ({ display: text !== undefined, text: text ?? '' });
  return {
    type: spec.kind === 'line' ? 'line' : 'bar',
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s, i) => ({
        label: s.label,
        data: s.values,
        borderColor: colorOf(s, i),
        backgroundColor:
          spec.barColors && spec.series.length === 1
            ? spec.barColors
            : spec.kind === 'line'
              ? `${colorOf(s, i)}22`
              : colorOf(s, i),
        ...(s.stack !== undefined ? { stack: s.stack } : {}),
        ...(spec.kind === 'line'
          ? { fill: spec.series.length === 1, pointRadius: 0, borderWidth: 2, spanGaps: true }
          : {}),
      })),
    },
    options: {
      maintainAspectRatio: false,
      indexAxis: horizontal ? 'y' : 'x',
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom' } },
      scales: {
        x: {
          stacked,
          title: axisTitle(spec.xTitle),
          beginAtZero: true,
          ticks: { maxTicksLimit: 12 },
        },
        y: { stacked, title: axisTitle(spec.yTitle), beginAtZero: true },
      },
    },
  } as ChartConfiguration;
}

/** Draws the charts of freshly inserted figures under `root` (Chart.js measures the attached canvas). */
export function mountCharts(root: ParentNode): void {
  for (const canvas of root.querySelectorAll('canvas')) {
    const spec = pending.get(canvas);
    if (!spec) continue;
    pending.delete(canvas);
    const chart = new Chart(canvas, config(spec));
    // The legend entries as drawn, for tests and for checking that no chart goes without one.
    canvas.dataset['legend'] = (chart.legend?.legendItems ?? []).map((item) => item.text).join('|');
  }
}

/** Frees the charts under `root` before it is replaced. */
export function destroyCharts(root: ParentNode): void {
  for (const canvas of root.querySelectorAll('canvas')) Chart.getChart(canvas)?.destroy();
}
