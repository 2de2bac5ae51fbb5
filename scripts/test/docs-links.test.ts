// The repository documents itself: no tracked file points at a design file a clone does not have, at a path
// outside the repository, or at a doc or heading that does not exist; "the reference" is named as the
// older system (docs/architecture.md#the-older-system), not cited as if the reader knew it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Tracked text files that exist in the working tree, with their content. */
function trackedTexts(): { path: string; text: string }[] {
  const paths = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
  const out: { path: string; text: string }[] = [];
  for (const path of paths) {
    if (!path || !existsSync(join(root, path))) continue;
    const bytes = readFileSync(join(root, path));
    if (bytes.subarray(0, 8000).includes(0)) continue; // binary
    out.push({ path, text: bytes.toString('utf8') });
  }
  return out;
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Markdown text without fenced code blocks (their lines blanked, so line numbers stay). */
const withoutFences = (text: string): string => {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
};

/** GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = match[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

const anchorsOf = new Map<string, Set<string>>();
const anchorsOfFile = (path: string): Set<string> => {
  let anchors = anchorsOf.get(path);
  if (!anchors) {
    anchors = headingAnchors(readFileSync(path, 'utf8'));
    anchorsOf.set(path, anchors);
  }
  return anchors;
};

/** What is wrong with a link target from `from` (a repo-relative file), or undefined when it resolves. */
function brokenTarget(from: string, target: string): string | undefined {
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = pathPart === '' ? join(root, from) : resolve(root, dirname(from), decodeURI(pathPart));
  const inside = relative(root, file);
  if (inside.startsWith(`..${sep}`) || inside === '..') return 'points outside the repository';
  if (!existsSync(file)) return 'no such file';
  if (anchor && file.endsWith('.md') && !anchorsOfFile(file).has(anchor))
    return `no heading with anchor #${anchor} in ${relative(root, file)}`;
  return undefined;
}

const files = trackedTexts();
const markdown = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

describe('the repository points only inside itself', () => {
  it('no tracked file cites the design file a clone does not have', () => {
    const design = `${'DESIGN'}.md`;
    const hits = files.filter((f) => f.text.includes(design)).map((f) => f.path);
    expect(hits, `cite docs/architecture.md instead of ${design}`).toEqual([]);
  });

  it('no tracked file names a path outside the repository', () => {
    const outside = [`..${'/'}shared`, `${'/'}work${'/'}`];
    const hits: string[] = [];
    for (const { path, text } of files)
      for (const needle of outside) {
        const at = text.indexOf(needle);
        if (at >= 0) hits.push(`${path}:${lineOf(text, at)}: ${needle}`);
      }
    expect(hits).toEqual([]);
  });

  it('"the reference" is named as the older system, except where docs/architecture.md explains the term', () => {
    const cited = /\bthe reference(?:'s|’s| system| producer| topics| mix| deployment)\b/gi;
    const hits: string[] = [];
    for (const { path, text } of files) {
      if (path === 'docs/architecture.md') continue;
      for (const match of text.matchAll(cited))
        hits.push(`${path}:${lineOf(text, match.index)}: ${match[0]}`);
    }
    expect(hits, 'say "the older system" (docs/architecture.md#the-older-system)').toEqual([]);
  });

  it('relative links of README.md and docs/*.md name files and headings that exist', () => {
    expect(markdown).toContain('docs/architecture.md');
    const broken: string[] = [];
    for (const path of markdown) {
      const text = withoutFences(readFileSync(join(root, path), 'utf8'));
      for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const problem = brokenTarget(path, target);
        if (problem) broken.push(`${path}:${lineOf(text, match.index)}: ${target}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('docs/<file>.md#<anchor> cited in any tracked file exists', () => {
    const broken: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(/(?<![\w/.-])docs\/([\w.-]+\.md)(#[\w-]+)?/g)) {
        const problem = brokenTarget('README.md', `docs/${match[1]}${match[2] ?? ''}`);
        if (problem) broken.push(`${path}:${lineOf(text, match.index)}: ${match[0]}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('computes GitHub anchors', () => {
    const anchors = headingAnchors(
      [
        '# Deploying to Kubernetes (Minikube)',
        '## 4. Batch jobs: Airflow → JobSink',
        '```',
        '# not a heading',
        '```',
        '### Entry point (`functions/batch`)',
        '## Notes',
        '## Notes',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'deploying-to-kubernetes-minikube',
      '4-batch-jobs-airflow--jobsink',
      'entry-point-functionsbatch',
      'notes',
      'notes-1',
    ]);
  });
});
