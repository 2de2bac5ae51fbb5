// Core holds what the functions deploy; the tooling (event generator, dispatchers, Kafka producer and sinks,
// the views document) lives in the tools workspace, scripts/tools (@ula/tools). Checked on the bundles
// themselves (esbuild's metafile, with the options scripts/build-functions.mjs builds with): no function
// bundle contains a tools module, kafkajs or the generator; every module of core is part of some function
// (in its bundle, or a types-only module its code imports); core never imports the tools workspace.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions, functionNames } from '../function-bundles.mjs';

const coreSrc = 'functions/core/src';
/**
 * The core modules allowed to import kafkajs: xapi's derived events into Kafka, and the one kafkajs client
 * configuration (TLS, SASL from ULA_KAFKA_*) that sink and the tools share.
 */
const kafkaModules = new Set([
  'functions/core/src/adapters/event-sink-kafka.ts',
  'functions/core/src/adapters/kafka-client.ts',
]);
const toolsDir = 'scripts/tools';

/** Modules no function may bundle: the tools workspace, kafkajs, and tooling left in (or put back into) core. */
const tooling: { what: string; pattern: RegExp }[] = [
  { what: 'the tools workspace', pattern: /^scripts\/tools\// },
  { what: 'kafkajs', pattern: /(^|\/)node_modules\/kafkajs\// },
  { what: "the Kafka producer's CRC-32C", pattern: /(^|\/)node_modules\/@node-rs\/crc32/ },
  { what: 'the generator or a dispatcher in core', pattern: /^functions\/core\/src\/(generator|dispatch)\// },
  {
    what: 'a generator sink or the Kafka producer in core',
    pattern:
      /^functions\/core\/src\/adapters\/(kafka(?!-client\.ts$)[^/]*|http-sink|ndjson|worker-boot)\.(ts|mjs)$/,
  },
];

/** The metafile inputs of a function's bundle: every module esbuild read, relative to the repository root. */
async function bundleInputs(name: string): Promise<string[]> {
  const result = await build({ ...bundleOptions(name), write: false, metafile: true, logLevel: 'silent' });
  return Object.keys(result.metafile?.inputs ?? {});
}

const bundles = new Map<string, Promise<string[]>>();
const inputsOf = (name: string): Promise<string[]> => {
  let inputs = bundles.get(name);
  if (inputs === undefined) {
    inputs = bundleInputs(name);
    bundles.set(name, inputs);
  }
  return inputs;
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Module specifiers a source file names: static and dynamic imports, re-exports, `new URL(…, import.meta.url)`. */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The repository file a specifier names, for relative and @ula/core specifiers; packages are not followed. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  let base: string;
  if (specifier.startsWith('.')) base = relative('.', resolve(dirname(from), specifier));
  else if (specifier === '@ula/core') base = `${coreSrc}/index.ts`;
  else if (specifier.startsWith('@ula/core/')) base = `${coreSrc}/${specifier.slice('@ula/core/'.length)}.ts`;
  else return undefined;
  return [base, `${base}.ts`, `${base}/index.ts`].find(
    (candidate) => existsSync(candidate) && !candidate.endsWith('/'),
  );
}

/**
 * The repository modules a function's code names, transitively from its entry point: what esbuild bundles
 * plus the types-only modules (`import type`), which esbuild drops but which are part of the function.
 */
function sourceGraph(name: string): Set<string> {
  const seen = new Set<string>();
  const queue = [`functions/${name}/src/index.ts`];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, specifier);
      if (target !== undefined && !seen.has(target)) queue.push(target);
    }
  }
  return seen;
}

describe.each(functionNames)('the %s bundle', (name) => {
  it('contains no tooling (tools workspace, kafkajs, generator, dispatchers, Kafka producer)', async () => {
    const inputs = await inputsOf(name);
    expect(inputs.length, 'the metafile lists the modules').toBeGreaterThan(10);
    const found = inputs.flatMap((input) =>
      tooling.filter(({ pattern }) => pattern.test(input)).map(({ what }) => `${input} (${what})`),
    );
    expect(found).toEqual([]);
  }, 60_000);
});

describe('functions/core', () => {
  it('holds only what some function deploys: each of its modules is in a function (bundle or types)', async () => {
    const bundled = new Set([
      ...(await Promise.all(functionNames.map(inputsOf))).flat(),
      ...functionNames.flatMap((name) => [...sourceGraph(name)]),
    ]);
    const modules = filesUnder(coreSrc).filter((file) => /\.(ts|mts|mjs|js)$/.test(file));
    expect(modules.length).toBeGreaterThan(50);
    expect(modules.filter((file) => !bundled.has(file))).toEqual([]);
  }, 120_000);

  it('never imports the tools workspace, nor kafkajs outside the xapi event sink and its client configuration, and does not depend on the tools', () => {
    const offending: string[] = [];
    for (const file of filesUnder(coreSrc)) {
      // The xapi function's Kafka event sink and its client configuration; kafkajs stays external to every bundle.
      if (kafkaModules.has(file)) continue;
      for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
        const target = specifier.startsWith('.')
          ? relative('.', resolve(dirname(file), specifier))
          : specifier;
        if (
          target.startsWith('@ula/tools') ||
          target === toolsDir ||
          target.startsWith(`${toolsDir}/`) ||
          target === 'kafkajs'
        ) {
          offending.push(`${file}: ${specifier}`);
        }
      }
    }
    expect(offending).toEqual([]);
    const core = JSON.parse(readFileSync('functions/core/package.json', 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(core.dependencies ?? {})).not.toContain('@ula/tools');
  });
});
