// Each function folder is a complete build context for the Node buildpack (`func build`): its package.json
// lists exactly the packages its bundle imports at run time, its lockfile matches, nothing is
// workspace-only, and every place that names the Node.js version agrees with .node-version.
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions, functionNames, nodeMajor, optionalRequires } from '../function-bundles.mjs';

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: { node?: string };
  scripts?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const packageName = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Packages the bundle imports at run time (not inlined, not a Node built-in). */
async function bundleImports(name: string): Promise<string[]> {
  const result = await build({ ...bundleOptions(name), write: false, metafile: true, logLevel: 'silent' });
  const imported = new Set<string>();
  for (const input of Object.values(result.metafile?.inputs ?? {})) {
    for (const { path, external } of input.imports) {
      if (external && !isBuiltin(path)) imported.add(packageName(path));
    }
  }
  return [...imported].filter((p) => !optionalRequires.includes(p)).sort();
}

/** The packages the image's start command runs (its binary), e.g. faas-js-runtime. */
function startPackages(pkg: PackageJson): string[] {
  const start = pkg.scripts?.['start'] ?? '';
  return Object.keys(pkg.dependencies ?? {}).filter((dep) => new RegExp(`(^|\\s)${dep}(\\s|$)`).test(start));
}

describe.each(functionNames)('functions/%s as a build context', (name) => {
  const dir = `functions/${name}`;
  const pkg = readJson<PackageJson>(`${dir}/package.json`);

  it('lists exactly the packages its bundle imports at run time (plus the runtime its start command runs)', async () => {
    const imports = await bundleImports(name);
    const expected = [...new Set([...imports, ...startPackages(pkg)])].sort();
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(expected);
    expect(pkg.devDependencies, 'the buildpack installs devDependencies too').toBeUndefined();
  }, 30_000);

  it('has a start command for the image and no workspace-only packages', () => {
    expect(pkg.scripts?.['start'], 'the buildpack launches `scripts.start`').toMatch(/build\/index\.js/);
    for (const dep of Object.keys(pkg.dependencies ?? {})) expect(dep).not.toMatch(/^@ula\//);
  });

  it('has a lockfile in step with its package.json (the buildpack runs `npm ci`)', () => {
    const lock = readJson<{
      lockfileVersion: number;
      packages: Record<string, PackageJson & { link?: boolean }>;
    }>(`${dir}/package-lock.json`);
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.packages['']?.dependencies).toEqual(pkg.dependencies);
    expect(lock.packages['']?.engines).toEqual(pkg.engines);
    for (const [path, entry] of Object.entries(lock.packages)) {
      expect(entry.link, `${path} is a link, not a registry package`).toBeUndefined();
    }
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      expect(lock.packages[`node_modules/${dep}`], `${dep} resolved in the lockfile`).toBeDefined();
    }
  });

  it(`runs on Node.js ${nodeMajor} (engines, func.yaml BP_NODE_VERSION)`, () => {
    expect(pkg.engines?.node).toBe(`${nodeMajor}.x`);
    const funcYaml = readFileSync(`${dir}/func.yaml`, 'utf8');
    expect(funcYaml).toMatch(new RegExp(`- name: BP_NODE_VERSION\\n\\s+value: "${nodeMajor}"`));
    expect(funcYaml).toMatch(/- name: BP_NODE_RUN_SCRIPTS\n\s+value: ""/);
  });
});

describe('the toolchain', () => {
  it(`is Node.js ${nodeMajor} (root engines, CI, the running tests)`, () => {
    expect(readJson<PackageJson>('package.json').engines?.node).toBe(`>=${nodeMajor}`);
    expect(Number(process.versions.node.split('.')[0])).toBe(nodeMajor);
  });
});
