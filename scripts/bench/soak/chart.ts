/**
 * The soak's series as one SVG: a small chart per figure, simulated days along the x axis, the value
 * range on the y axis (labelled), so a trend over weeks shows at a glance.
 */
export interface Series {
  label: string;
  values: number[];
  /** A target line (e.g. files per partition ≤ 2). */
  limit?: number;
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) =>
  Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100);

export function chartSvg(title: string, series: readonly Series[], columns = 3): string {
  const w = 320;
  const h = 170;
  const pad = { left: 56, right: 12, top: 28, bottom: 26 };
  const rows = Math.ceil(series.length / columns);
  const width = columns * w;
  const height = rows * h + 36;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title>${xmlText(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${xmlText(title)}</text>`,
  ];
  series.forEach((s, i) => {
    const x0 = (i % columns) * w;
    const y0 = 36 + Math.floor(i / columns) * h;
    const values = s.values.filter((v) => Number.isFinite(v));
    const all = s.limit !== undefined ? [...values, s.limit] : values;
    const lo = Math.min(0, ...all);
    const hi = Math.max(...all, lo + 1e-9);
    const px = (d: number) =>
      x0 + pad.left + (d / Math.max(1, s.values.length - 1)) * (w - pad.left - pad.right);
    const py = (v: number) => y0 + h - pad.bottom - ((v - lo) / (hi - lo)) * (h - pad.top - pad.bottom);
    parts.push(`<text x="${x0 + pad.left}" y="${y0 + 16}" font-weight="bold">${xmlText(s.label)}</text>`);
    parts.push(
      `<line x1="${px(0)}" y1="${py(lo)}" x2="${px(s.values.length - 1)}" y2="${py(lo)}" stroke="#999"/>`,
      `<line x1="${px(0)}" y1="${py(lo)}" x2="${px(0)}" y2="${py(hi)}" stroke="#999"/>`,
      `<text x="${x0 + pad.left - 4}" y="${py(hi) + 4}" text-anchor="end">${fmt(hi)}</text>`,
      `<text x="${x0 + pad.left - 4}" y="${py(lo) + 4}" text-anchor="end">${fmt(lo)}</text>`,
      `<text x="${px(0)}" y="${y0 + h - 8}">day 1</text>`,
      `<text x="${px(s.values.length - 1)}" y="${y0 + h - 8}" text-anchor="end">day ${s.values.length}</text>`,
    );
    if (s.limit !== undefined)
      parts.push(
        `<line x1="${px(0)}" y1="${py(s.limit)}" x2="${px(s.values.length - 1)}" y2="${py(s.limit)}" stroke="#d33" stroke-dasharray="4 3"/>`,
      );
    const points = s.values
      .map((v, d) => (Number.isFinite(v) ? `${px(d).toFixed(1)},${py(v).toFixed(1)}` : ''))
      .filter(Boolean)
      .join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="#1f6fb2" stroke-width="1.8"/>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
