/**
 * Every `ULA_*` variable the code reads or sets is a row of the README's configuration table, and every row
 * of that table is a variable something reads or sets. The scan covers the functions' sources, the scripts
 * (TypeScript, .mjs, shell), the deploy manifests (eventing/, func.yaml, scripts/k8s) and the Airflow DAGs
 * and their tests. A name is `ULA_` followed by capitals, digits and underscores, not ending in `_`
 * (`ULA_SPEED_*` in prose is a prefix, not a variable).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allSettings } from '../../../functions/core/src/settings.ts';
import { readmePath, readmeWithTable } from '../settings-table.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const skipDirs = new Set(['node_modules', 'build', '.cache', '.stack', '.data', '__pycache__']);

function walk(dir: string, accept: (path: string) => boolean, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (skipDirs.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, accept, out);
    else if (accept(path)) out.push(path);
  }
  return out;
}

/** The files whose variables the table must hold (paths relative to the repository). */
function scannedFiles(): string[] {
  const ext =
    (...exts: string[]) =>
    (p: string) =>
      exts.some((e) => p.endsWith(e));
  const functionsDir = join(root, 'functions');
  const files = [
    ...readdirSync(functionsDir).flatMap((f) => [
      ...walk(join(functionsDir, f, 'src'), ext('.ts', '.mts', '.mjs', '.js')),
      ...walk(join(functionsDir, f), (p) => p === join(functionsDir, f, 'func.yaml')),
    ]),
    // This folder's tests name variables as test data.
    ...walk(join(root, 'scripts'), ext('.ts', '.mts', '.mjs', '.sh', '.yaml', '.yml', '.py')).filter(
      (p) => !p.startsWith(join(root, 'scripts', 'config', 'test')),
    ),
    ...walk(join(root, 'eventing'), ext('.yaml', '.yml')),
    ...walk(join(root, 'airflow', 'dags'), ext('.py')),
    ...walk(join(root, 'airflow', 'tests'), ext('.py')),
  ];
  return files.map((p) => relative(root, p)).sort();
}

const namePattern = /\bULA_[A-Z0-9_]*[A-Z0-9]\b/g;

/** Variable name → the files that mention it. */
function variablesInSource(files = scannedFiles()): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const name of new Set(text.match(namePattern) ?? []))
      found.set(name, [...(found.get(name) ?? []), file]);
  }
  return found;
}

/** The variables of the README's configuration table (the first column of its rows). */
function variablesInReadme(readme = readFileSync(join(root, 'README.md'), 'utf8')): Set<string> {
  const start = readme.indexOf('\n## Configuration');
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const first = line.startsWith('|') ? line.split('|')[1] : undefined;
    for (const m of first?.matchAll(/`([A-Z][A-Z0-9_]*)`/g) ?? []) if (m[1]) names.add(m[1]);
  }
  return names;
}

/** Files that declare the variables (a mention there is a declaration, not a use). */
const declarationFiles = new Set(['functions/core/src/settings.ts', 'scripts/config/tool-settings.ts']);

describe("the README's configuration table", () => {
  const table = variablesInReadme();

  it('is exactly what the declarations generate (tsx scripts/config/settings-table.ts --write)', () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme).toBe(readmeWithTable(readme));
  });

  const source = variablesInSource();

  it('lists every ULA_* variable the code, scripts, manifests and DAGs read or set', () => {
    const missing = [...source]
      .filter(([name]) => !table.has(name))
      .map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(missing, 'variables missing from the README table').toEqual([]);
  });

  it('lists no ULA_* variable that nothing reads or sets', () => {
    // The functions' variables are read through their declarations: functions/core/test/settings.test.ts
    // checks that a loader reads each one (and that the retired names are rejected).
    const readThroughDeclarations = new Set(
      allSettings.flatMap((s) => [s.name, ...(s.replaces ? [s.replaces] : [])]),
    );
    const unused = [...table]
      .filter((name) => name.startsWith('ULA_') && !readThroughDeclarations.has(name))
      .filter((name) => !(source.get(name) ?? []).some((file) => !declarationFiles.has(file)));
    expect(unused, 'table rows no code reads or sets').toEqual([]);
  });

  it('finds names the way it should (a prefix in prose is not a variable)', () => {
    const sample = 'env ULA_SPEED_IDLE_MS, the ULA_SPEED_* family, ULA_AIRFLOW_ env, $ULA_NAMESPACE';
    expect(sample.match(namePattern)).toEqual(['ULA_SPEED_IDLE_MS', 'ULA_NAMESPACE']);
  });

  it('has the functions read variables only through the settings module', () => {
    // `env['X']`, `env.X`, `process.env.X`: a read of one variable. Passing the whole environment is fine.
    const read = /\benv(\[\s*['"`]|\.[A-Za-z_])/;
    const offenders = scannedFiles()
      .filter((file) => /^functions\/[^/]+\/src\//.test(file) && file !== 'functions/core/src/settings.ts')
      .flatMap((file) =>
        readFileSync(join(root, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (read.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(
      offenders,
      'declare the variable in functions/core/src/settings.ts and read it through its loader',
    ).toEqual([]);
  });
});
