import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { files } from '../src/dashboard/assets.generated.ts';

describe('embedded dashboard assets', () => {
  it('match src/dashboard/* (run node functions/serving/scripts/embed-dashboard.mjs after editing)', () => {
    for (const name of ['index.html', 'style.css', 'app.js'])
      expect(files[name]?.body, name).toBe(
        readFileSync(new URL(`../src/dashboard/${name}`, import.meta.url), 'utf8'),
      );
  });

  it('load nothing from another origin (the machine is offline; no CDN)', () => {
    for (const file of Object.values(files)) expect(file.body).not.toMatch(/(src|href)=["']https?:/);
  });
});
