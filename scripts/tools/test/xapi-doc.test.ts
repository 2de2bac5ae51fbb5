import { readFileSync } from 'node:fs';
import { mappingRules } from '@ula/core/xapi/rules';
import { describe, expect, it } from 'vitest';
import { withXapiSection, xapiMappingMarkdown } from '../src/xapi-doc.ts';

describe("docs/events.md's xAPI mapping section", () => {
  it('is exactly what the mapping rules generate (node scripts/toolchain.mjs tsx scripts/tools/src/write-xapi-doc.ts)', () => {
    const document = readFileSync('docs/events.md', 'utf8');
    expect(document).toContain(xapiMappingMarkdown());
    expect(withXapiSection(document)).toBe(document);
  });

  it('has a row per rule and per event type', () => {
    const text = xapiMappingMarkdown();
    for (const rule of mappingRules) expect(text).toContain(`| \`${rule.name}\` |`);
    expect(text.match(/^\| [A-Z_]+ \| `https:\/\/ula\.example\/xapi\/verbs\//gm)).toHaveLength(26);
  });
});
