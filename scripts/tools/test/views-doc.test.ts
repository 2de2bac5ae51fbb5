import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { viewsMarkdown } from '../src/views-doc.ts';

describe('docs/views.md', () => {
  it('is exactly what the view declarations generate (npm run docs:views)', () => {
    expect(readFileSync('docs/views.md', 'utf8')).toBe(viewsMarkdown());
  });
});
