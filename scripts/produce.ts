/**
 * `npm run produce -- --help`: the realistic event producer. Simulates a university (deterministic from
 * --seed) and writes its events to Kafka, an HTTP endpoint or an NDJSON file, either as history
 * (backfill, as fast as possible) or in real time (live, at --rate events/s).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HttpSink } from '@ula/tools/adapters/http-sink';
import { KafkaSink, producerOf } from '@ula/tools/adapters/kafka';
import { NdjsonSink } from '@ula/tools/adapters/ndjson';
import {
  backfill,
  type CategoryWeights,
  createUniversity,
  type GeneratedItem,
  live,
  universityDefaults,
} from '@ula/tools/generator/index';
import { xapiStatementsOf } from '@ula/tools/generator/xapi';
import { type Category, categories } from '../functions/core/src/events/envelope.ts';

const usage = `usage: npm run produce -- [options]

Simulates a university and produces its LMS events (CloudEvents) to a sink.

mode
  --mode backfill|live     backfill: history of --days ending at --end, as fast as possible (default)
                           live: real time at --rate events/s, event time = now (Ctrl-C to stop)
  --days N                 days of history (backfill; default 7)
  --end INSTANT            end of the history, RFC 3339 (backfill; default now)
  --rate N                 events per second (live; default 50)
  --limit N                stop after N outputs

university (deterministic from the seed)
  --students N             default ${universityDefaults.students}
  --teachers N             default ${universityDefaults.teachers}
  --courses N              default ${universityDefaults.courses}
  --seed S                 default ${universityDefaults.seed}
  --weights LIST           category weights, e.g. auth=15,assessment=25,video=35,course=18,profile=3,notification=4

sink
  --sink kafka|http|ndjson default kafka
  --brokers LIST           Kafka bootstrap servers (default $ULA_KAFKA_BROKERS or 127.0.0.1:9092); TLS
                           and SASL from $ULA_KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD, _TLS, _CA_FILE
  --topic-prefix P         Kafka topics P<category> instead of <category>_topic (benchmarks, tests)
  --producers N            Kafka backfill: producer processes side by side, each simulating the same
                           university and sending the records of its share of the keys (user ids), so
                           a key's records keep their order (default: half the CPUs, 1 to 4: a
                           producer keeps about 1.3 cores busy with its sender thread; 1 elsewhere)
  --url URL                HTTP endpoint receiving binary-mode CloudEvents (default http://127.0.0.1:8081/)
  --concurrency N          HTTP requests in flight (default 64)
  --out FILE               NDJSON file (default events.ndjson)
  --xapi                   the same university as xAPI statements (what an LMS sends an LRS) instead of
                           CloudEvents: ndjson writes one statement per line; http POSTs each event's
                           statements as an array to <url>/statements (X-Experience-API-Version 1.0.3,
                           HTTP Basic from $ULA_XAPI_USER and $ULA_XAPI_PASSWORD); malformed records
                           become statements without a verb (the LRS must answer 400)

faults (for error-path, dedup and late-data tests)
  --malformed-rate R       share of outputs that are malformed records (0..1; default 0)
  --duplicate-rate R       share of events emitted twice with the same id (default 0)
  --late-rate R            share of events emitted after events of a later hour/day (default 0)

  --quiet                  no progress bar
  --help
`;

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'backfill' },
    days: { type: 'string', default: '7' },
    end: { type: 'string' },
    rate: { type: 'string', default: '50' },
    limit: { type: 'string' },
    students: { type: 'string', default: String(universityDefaults.students) },
    teachers: { type: 'string', default: String(universityDefaults.teachers) },
    courses: { type: 'string', default: String(universityDefaults.courses) },
    seed: { type: 'string', default: universityDefaults.seed },
    weights: { type: 'string' },
    sink: { type: 'string', default: 'kafka' },
    brokers: { type: 'string', default: process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092' },
    'topic-prefix': { type: 'string' },
    producers: { type: 'string' },
    // One producer of --producers N: `index/N` (set by the parent process, not by hand).
    shard: { type: 'string' },
    url: { type: 'string', default: 'http://127.0.0.1:8081/' },
    concurrency: { type: 'string', default: '64' },
    out: { type: 'string', default: 'events.ndjson' },
    xapi: { type: 'boolean', default: false },
    'malformed-rate': { type: 'string', default: '0' },
    'duplicate-rate': { type: 'string', default: '0' },
    'late-rate': { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function fail(message: string): never {
  process.stderr.write(`produce: ${message}\n(see npm run produce -- --help)\n`);
  process.exit(2);
}

function number(name: string, text: string | undefined, min: number, max = Number.POSITIVE_INFINITY): number {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < min || n > max) {
    fail(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
  }
  return n;
}

function parseWeights(text: string | undefined): Partial<CategoryWeights> | undefined {
  if (text === undefined) return undefined;
  const out: Partial<CategoryWeights> = {};
  for (const part of text.split(',')) {
    const [name, value] = part.split('=');
    if (!categories.includes(name as Category)) fail(`--weights: unknown category "${name}"`);
    out[name as Category] = number(`weights ${name}`, value, 0);
  }
  return out;
}

const mode = values.mode;
if (mode !== 'backfill' && mode !== 'live') fail(`--mode must be backfill or live, got "${mode}"`);
const sinkName = values.sink;
if (sinkName !== 'kafka' && sinkName !== 'http' && sinkName !== 'ndjson') {
  fail(`--sink must be kafka, http or ndjson, got "${sinkName}"`);
}
if (values.xapi && sinkName === 'kafka') fail('--xapi needs --sink http (an LRS) or ndjson');
const limit = values.limit === undefined ? undefined : number('limit', values.limit, 1);
const faults = {
  malformedRate: number('malformed-rate', values['malformed-rate'], 0, 0.99),
  duplicateRate: number('duplicate-rate', values['duplicate-rate'], 0, 0.99),
  lateRate: number('late-rate', values['late-rate'], 0, 0.99),
};
const weights = parseWeights(values.weights);
const parallelKafka = sinkName === 'kafka' && mode === 'backfill';
const producers =
  values.producers === undefined
    ? parallelKafka && values.shard === undefined
      ? // A producer and its sender thread keep ~1.3 cores busy: on 2 CPUs a second one only competes.
        Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)))
      : 1
    : number('producers', values.producers, 1, 64);
if (producers > 1 && !parallelKafka) fail('--producers above 1 needs --sink kafka and --mode backfill');
const shard = values.shard === undefined ? undefined : parseShard(values.shard);

function parseShard(text: string): { index: number; count: number } {
  const [index, count] = text.split('/').map(Number);
  if (!Number.isInteger(index) || !Number.isInteger(count) || index! < 0 || index! >= count!)
    fail(`--shard must be index/count, got "${text}"`);
  return { index: index!, count: count! };
}

const university = createUniversity({
  seed: values.seed,
  students: number('students', values.students, 1),
  teachers: number('teachers', values.teachers, 1),
  courses: number('courses', values.courses, 1),
});

/** HTTP Basic credentials of the LRS from the environment (never from the command line: it is visible in ps). */
function xapiAuthorization(): string {
  const user = process.env['ULA_XAPI_USER'];
  const password = process.env['ULA_XAPI_PASSWORD'];
  if (!user || password === undefined)
    fail('--xapi --sink http needs ULA_XAPI_USER and ULA_XAPI_PASSWORD (the LRS credentials)');
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** One POST per generated item: its statements as an array. */
const xapiRequestOf = (authorization: string) => (item: GeneratedItem) => ({
  headers: {
    'content-type': 'application/json',
    'x-experience-api-version': '1.0.3',
    authorization,
  },
  body: JSON.stringify(xapiStatementsOf(item)),
});

interface Sink {
  write(item: GeneratedItem): Promise<void> | undefined | void;
  close(): Promise<void> | void;
  describe(): string;
  /** Batches sent so far (Kafka). */
  batches?(): number;
}

async function openSink(): Promise<Sink> {
  if (sinkName === 'ndjson') {
    const sink = new NdjsonSink(values.out);
    return {
      write: values.xapi
        ? (item) =>
            sink.writeLines(
              xapiStatementsOf(item).map((s) => JSON.stringify(s)),
              item.kind === 'malformed',
            )
        : (item) => sink.write(item),
      close: () => sink.close(),
      describe: () => `${values.out} (${(sink.bytes / 1e6).toFixed(1)} MB)`,
    };
  }
  if (sinkName === 'http') {
    const sink = new HttpSink({
      url: values.xapi ? `${values.url.replace(/\/+$/, '')}/statements` : values.url,
      concurrency: number('concurrency', values.concurrency, 1),
      ...(values.xapi ? { encode: xapiRequestOf(xapiAuthorization()) } : {}),
    });
    return {
      write: (item) => sink.write(item),
      close: () => sink.close(),
      describe: () => {
        const c = sink.counts;
        const problems = c.rejectedValid + c.failed + c.acceptedMalformed;
        return (
          `${values.url}: accepted ${c.accepted}, malformed rejected ${c.rejectedMalformed}, ` +
          `valid rejected ${c.rejectedValid}, malformed accepted ${c.acceptedMalformed}, failed ${c.failed}, ` +
          `retries ${c.retries}${problems > 0 && sink.lastRejection ? ` (last: ${sink.lastRejection})` : ''}`
        );
      },
    };
  }
  const prefix = values['topic-prefix'];
  const sink = await KafkaSink.connect({
    brokers: values.brokers.split(','),
    ...(prefix !== undefined ? { topicOf: (category: Category) => `${prefix}${category}` } : {}),
  });
  return {
    write: (item) => sink.write(item),
    close: () => sink.close(),
    describe: () => `Kafka ${values.brokers}: ${sink.counts.batches} batches`,
    batches: () => sink.counts.batches,
  };
}

/** A one-line progress bar on stderr: `[####    ] 45% 123,456 ev 210,000 ev/s`. */
class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true && !values.quiet;

  update(count: number, fraction: number | undefined, force = false): void {
    if (values.quiet) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < (this.tty ? 100 : 5000)) return;
    this.lastDraw = now;
    const rate = Math.round(count / Math.max(0.001, (now - this.started) / 1000));
    let bar = '';
    if (fraction !== undefined) {
      const width = 30;
      const filled = Math.round(Math.min(1, fraction) * width);
      bar = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.floor(Math.min(1, fraction) * 100)).padStart(3)}% `;
    }
    const line = `${bar}${count.toLocaleString('en-US')} ev ${rate.toLocaleString('en-US')} ev/s`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

/** What one producer process reports to the parent of `--producers N` over IPC. */
interface ShardReport {
  count: number;
  malformed: number;
  fraction: number;
  batches?: number;
}

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
const end = values.end !== undefined ? Date.parse(values.end) : Date.now();
if (!Number.isFinite(end)) fail(`--end must be an RFC 3339 instant, got "${values.end}"`);
const days = number('days', values.days, 0.001);
const started = performance.now();
const { count, malformed, describe } = await (producers > 1 ? produceInParallel(producers) : produce());
const seconds = (performance.now() - started) / 1000;
if (!shard) {
  process.stdout.write(
    `produced ${count.toLocaleString('en-US')} items (${(count - malformed).toLocaleString('en-US')} events, ` +
      `${malformed.toLocaleString('en-US')} malformed) in ${seconds.toFixed(1)} s = ` +
      `${Math.round(count / seconds).toLocaleString('en-US')} ev/s -> ${describe}\n`,
  );
}

/** Produces in this process (all items, or this shard's share of them when started by `--producers`). */
async function produce(): Promise<{ count: number; malformed: number; describe: string }> {
  const sink = await openSink();
  const progress = new Progress();
  const report = (r: ShardReport) => process.send?.(r);
  let count = 0;
  let malformed = 0;
  let fraction = 0;
  try {
    if (mode === 'backfill') {
      const start = end - days * 86_400_000;
      const items = backfill(university, {
        days,
        end,
        ...faults,
        ...(weights ? { weights } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      let generated = 0;
      for (const item of items) {
        if ((++generated & 4095) === 0) {
          if (abort.signal.aborted) break;
          const time = item.kind === 'event' ? Date.parse(item.event.time) : start;
          const byTime = (time - start) / (end - start);
          fraction = limit !== undefined ? Math.max(byTime, generated / limit) : byTime;
          if (shard) report({ count, malformed, fraction });
          else progress.update(count, fraction);
        }
        if (shard && producerOf(item, shard.count) !== shard.index) continue;
        const pending = sink.write(item);
        if (pending) await pending;
        count++;
        if (item.kind === 'malformed') malformed++;
      }
      fraction = 1;
    } else {
      const rate = number('rate', values.rate, 0.001);
      const items = live(university, {
        rate,
        ...faults,
        signal: abort.signal,
        ...(weights ? { weights } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      for await (const item of items) {
        const pending = sink.write(item);
        if (pending) await pending;
        count++;
        if (item.kind === 'malformed') malformed++;
        progress.update(count, limit !== undefined ? count / limit : undefined);
      }
    }
    await sink.close();
  } catch (error) {
    progress.done();
    fail((error as Error).message);
  }
  if (shard) report({ count, malformed, fraction, batches: sink.batches?.() ?? 0 });
  progress.update(count, mode === 'backfill' ? 1 : undefined, true);
  progress.done();
  return { count, malformed, describe: sink.describe() };
}

/**
 * `--producers N`: N child processes of this script, each simulating the same university (same seed and
 * end instant) and producing its share of the keys; this process draws their combined progress.
 */
async function produceInParallel(n: number): Promise<{ count: number; malformed: number; describe: string }> {
  const skip = new Set(['producers', 'shard', 'quiet', 'help', 'end']);
  const args: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (skip.has(name) || value === undefined || value === false) continue;
    args.push(`--${name}`, ...(value === true ? [] : [String(value)]));
  }
  args.push('--end', new Date(end).toISOString(), '--quiet');
  const reports: ShardReport[] = Array.from({ length: n }, () => ({ count: 0, malformed: 0, fraction: 0 }));
  const progress = new Progress();
  const script = fileURLToPath(import.meta.url);
  const children = reports.map((_, index) =>
    spawn(process.execPath, [...process.execArgv, script, ...args, '--shard', `${index}/${n}`], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  abort.signal.addEventListener('abort', () => {
    for (const child of children) child.kill('SIGTERM');
  });
  const total = (field: 'count' | 'malformed' | 'batches') =>
    reports.reduce((sum, r) => sum + (r[field] ?? 0), 0);
  const draw = (force = false) =>
    progress.update(total('count'), Math.min(...reports.map((r) => r.fraction)), force);
  const exits = children.map(
    (child, index) =>
      new Promise<void>((resolve, reject) => {
        child.on('message', (message: ShardReport) => {
          reports[index] = message;
          draw();
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          if (code === 0) return resolve();
          // One producer failed: stop the others, the run is incomplete.
          for (const other of children) if (other !== child) other.kill('SIGTERM');
          reject(new Error(`producer ${index + 1}/${n} exited with ${signal ?? `code ${code}`}`));
        });
      }),
  );
  try {
    await Promise.all(exits);
  } catch (error) {
    progress.done();
    fail((error as Error).message);
  }
  draw(true);
  progress.done();
  return {
    count: total('count'),
    malformed: total('malformed'),
    describe: `Kafka ${values.brokers}: ${n} producers, ${total('batches')} batches`,
  };
}
