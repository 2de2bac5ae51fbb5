import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { generated } from '../scripts/embed-dashboard.mjs';
import { files } from '../src/dashboard/assets.generated.ts';

describe('embedded dashboard assets', () => {
  it('equal a fresh build of functions/serving/dashboard (run node functions/serving/scripts/embed-dashboard.mjs after editing)', async () => {
    const fresh = (await generated()) as string;
    expect(
      readFileSync(new URL('../src/dashboard/assets.generated.ts', import.meta.url), 'utf8') === fresh,
    ).toBe(true);
    for (const name of ['index.html', 'style.css'])
      expect(files[name]?.body, name).toBe(
        readFileSync(new URL(`../dashboard/${name}`, import.meta.url), 'utf8'),
      );
  });

  it('bundle the charting library and load nothing from another origin (the machine is offline; no CDN)', () => {
    for (const file of Object.values(files)) expect(file.body).not.toMatch(/(src|href)=["']https?:/);
    expect(files['app.js']?.body).toContain('getChart');
    expect(files['app.js']?.body).not.toMatch(/\bimport\s*\(|fetch\(["'`]https?:/);
  });
});
