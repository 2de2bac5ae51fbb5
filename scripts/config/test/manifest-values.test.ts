/**
 * The values the deploy manifests give the functions (func.yaml `envs`, eventing/*.yaml `env` and the
 * ConfigMap ula-config) pass the same checks the functions run at start. Templated values (`${…}`,
 * `{{ secret:… }}`) are filled in at deploy time and skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { allSettings, problemOf } from '../../../functions/core/src/settings.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** Every `{name, value}` pair and ConfigMap `data` entry in a YAML document, wherever it sits. */
function pairs(node: unknown, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) for (const item of node) pairs(item, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o['name'] === 'string' && typeof o['value'] === 'string') out.push([o['name'], o['value']]);
    if (o['kind'] === 'ConfigMap' && o['data'] && typeof o['data'] === 'object')
      for (const [k, v] of Object.entries(o['data'] as Record<string, unknown>))
        if (typeof v === 'string') out.push([k, v]);
    for (const value of Object.values(o)) pairs(value, out);
  }
  return out;
}

const manifests = [
  ...readdirSync(join(root, 'functions')).map((f) => join('functions', f, 'func.yaml')),
  ...readdirSync(join(root, 'eventing'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('eventing', f)),
].filter((p) => {
  try {
    readFileSync(join(root, p));
    return true;
  } catch {
    return false;
  }
});

describe('deploy manifests', () => {
  it('set only valid values for the declared variables', () => {
    const declared = new Map(allSettings.map((s) => [s.name, s]));
    const problems: string[] = [];
    let checked = 0;
    for (const file of manifests)
      for (const doc of parseAllDocuments(readFileSync(join(root, file), 'utf8')))
        for (const [name, value] of pairs(doc.toJS())) {
          const setting = declared.get(name);
          if (!setting || value.includes('${') || value.includes('{{')) continue;
          checked++;
          const problem = problemOf({ [name]: value }, setting);
          if (problem) problems.push(`${file}: ${problem}`);
        }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });
});
