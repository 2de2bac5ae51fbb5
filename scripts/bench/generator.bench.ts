/**
 * Event generator throughput on one core (the generator is single-threaded):
 *
 * 1. backfill → NDJSON file: `backfill()` (the public iterable, as `npm run produce -- --sink ndjson`
 *    uses it) through the NDJSON sink to a file in a temp dir; target ≥ 200,000 events/s.
 * 2. the same with the bulk path (`Simulation.fill` into arrays), and generation alone.
 * 3. Peer ceiling, same run, same events: the first events held in memory, written as plain
 *    `JSON.stringify` of the structured CloudEvent + newline to a file; and our serialiser on the
 *    same events. Ratios: generate+serialise+write / ceiling, and serialiser / JSON.stringify.
 * 4. backfill → Kafka (when a broker answers at ULA_KAFKA_BROKERS, default 127.0.0.1:9092), into
 *    benchmark topics of its own (`ula_bench_<category>`, deleted afterwards) so running pipelines
 *    are not flooded: one in-process producer, then the CLI (`npm run produce`) with its default number
 *    of producer processes (half the CPUs, 1 to 4). Peers, same run, Java client (kafka-tools, installed by the stack beside
 *    the broker), idempotent, acks=all: `SendRecords.java` sending exactly the CLI's records (keys,
 *    values, timestamps, headers), and Kafka's own ProducerPerformance with records of our average
 *    size, headers included in the size (it sends none): what the broker takes from a client that is
 *    not the bottleneck.
 *
 * Figures are events per wall second and per CPU second of this process; the machine may be shared,
 * so the load average is printed and the ratios (same run) are the comparable numbers.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaSink, kafkaMessageOf } from '@ula/tools/adapters/kafka';
import { NdjsonSink, toNdjsonLine } from '@ula/tools/adapters/ndjson';
import { backfill, createUniversity, Simulation } from '@ula/tools/generator/index';
import { Kafka, logLevel } from 'kafkajs';
import { toKafkaRecord } from '../../functions/core/src/events/cloudevents.ts';
import {
  type Category,
  categories,
  cloudEventSource,
  cloudEventType,
  type LmsEvent,
  topicPartitions,
} from '../../functions/core/src/events/envelope.ts';
import type { Bench, BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const kafkaTools = join(root, '.cache', `kafka-${process.env['KAFKA_VERSION'] ?? '4.4.0'}`, 'tools');
const DAY = 86_400_000;
const end = Date.parse('2025-09-22T00:00:00.000Z');

interface Measure {
  events: number;
  wall: number;
  cpu: number;
}

function measure(run: () => number): Measure {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const events = run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { events, wall, cpu: (c.user + c.system) / 1e6 };
}

async function measureAsync(run: () => Promise<number>): Promise<Measure> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const events = await run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { events, wall, cpu: (c.user + c.system) / 1e6 };
}

const perWall = (m: Measure) => Math.round(m.events / m.wall);
const perCpu = (m: Measure) => Math.round(m.events / m.cpu);

/** Bytes a record carries: value, key and header names and values. */
const recordBytes = (event: LmsEvent): number => {
  const record = toKafkaRecord(event);
  let bytes = Buffer.byteLength(record.value) + Buffer.byteLength(record.key);
  for (const [name, value] of Object.entries(record.headers)) bytes += name.length + Buffer.byteLength(value);
  return bytes;
};

/** Kafka's ProducerPerformance (Java client) into `topic`: records per second, or undefined without the tools. */
function javaProducerRate(
  broker: string,
  topic: string,
  records: number,
  recordSize: number,
): number | undefined {
  if (!existsSync(join(kafkaTools, '.complete'))) return undefined;
  const java = process.env['JAVA17'] ?? '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
  const out = execFileSync(
    java,
    [
      ...['-Xmx512m', '-cp', `${kafkaTools}/*`, 'org.apache.kafka.tools.ProducerPerformance'],
      ...['--topic', topic, '--num-records', String(records), '--record-size', String(recordSize)],
      ...['--throughput', '-1', '--bootstrap-server', broker],
      ...['--command-property', 'acks=all', '--command-property', 'enable.idempotence=true'],
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const summary = /(\d+) records sent, ([\d.]+) records\/sec/.exec(out.trim().split('\n').at(-1) ?? '');
  if (!summary) throw new Error(`ProducerPerformance printed no summary:\n${out}`);
  return Math.round(Number(summary[2]));
}

/**
 * The Java client sending exactly our records (scripts/bench/java/SendRecords.java, read from `file`):
 * records per second from its first send to its last acknowledgement.
 */
function javaSendRate(broker: string, file: string): number | undefined {
  if (!existsSync(join(kafkaTools, '.complete'))) return undefined;
  const java = process.env['JAVA17'] ?? '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
  const out = execFileSync(
    java,
    ['-Xmx3g', '-cp', `${kafkaTools}/*`, join(root, 'scripts/bench/java/SendRecords.java'), broker, file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const summary = /(\d+) records in ([\d.]+) s/.exec(out);
  if (!summary) throw new Error(`SendRecords printed no summary:\n${out}`);
  return Math.round(Number(summary[1]) / Number(summary[2]));
}

function reachable(broker: string): Promise<boolean> {
  const [host, port] = broker.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host: host ?? '127.0.0.1', port: Number(port ?? 9092) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const structured = (e: LmsEvent) =>
  JSON.stringify({
    specversion: '1.0',
    id: e.id,
    source: cloudEventSource(e.category),
    type: cloudEventType(e.category, e.eventType),
    subject: e.data.user_id,
    time: e.time,
    datacontenttype: 'application/json',
    data: e.data,
  });

function writeLines(path: string, events: LmsEvent[], line: (e: LmsEvent) => string): number {
  const fd = openSync(path, 'w');
  let buffer = '';
  for (const e of events) {
    buffer += line(e);
    if (buffer.length >= 1 << 20) {
      writeSync(fd, buffer);
      buffer = '';
    }
  }
  writeSync(fd, buffer);
  closeSync(fd);
  return events.length;
}

const bench: Bench = {
  name: 'generator',
  needs: [],
  async run({ scale }): Promise<BenchResult> {
    const students = Math.round(10_000 * scale);
    const days = 5;
    const university = createUniversity({ seed: 'bench', students, teachers: 200, courses: 400 });
    const dir = mkdtempSync(join(tmpdir(), 'ula-generator-bench-'));
    const notes: string[] = [];
    try {
      // Warm up the JIT on a short run so the first measure is not penalised.
      for (const _ of backfill(university, { days: 0.5, end: end - 20 * DAY })) void _;

      const generateOnly = measure(() => {
        const sim = new Simulation(university, end - days * DAY);
        const chunk: LmsEvent[] = [];
        let n = 0;
        for (let more = true; more; ) {
          chunk.length = 0;
          more = sim.fill(end, chunk, 1024);
          n += chunk.length;
        }
        return n;
      });

      const ndjson = measure(() => {
        const sink = new NdjsonSink(join(dir, 'backfill.ndjson'));
        for (const item of backfill(university, { days, end })) sink.write(item);
        sink.close();
        return sink.events;
      });

      const bulk = measure(() => {
        const sink = new NdjsonSink(join(dir, 'bulk.ndjson'));
        const sim = new Simulation(university, end - days * DAY);
        const chunk: LmsEvent[] = [];
        for (let more = true; more; ) {
          chunk.length = 0;
          more = sim.fill(end, chunk, 1024);
          for (let i = 0; i < chunk.length; i++) sink.writeEvent(chunk[i]!);
        }
        sink.close();
        return sink.events;
      });

      // The peer: the same events, already generated, serialised by JSON.stringify (the ceiling of
      // any serialiser that builds the structured object) and by ours, then written.
      const sample: LmsEvent[] = [];
      for (const item of backfill(university, {
        days,
        end,
        limit: Math.round(400_000 * Math.min(1, scale)),
      })) {
        if (item.kind === 'event') sample.push(item.event);
      }
      writeLines(join(dir, 'warm.ndjson'), sample.slice(0, 20_000), (e) => `${structured(e)}\n`);
      const ceiling = measure(() =>
        writeLines(join(dir, 'ceiling.ndjson'), sample, (e) => `${structured(e)}\n`),
      );
      const ours = measure(() => writeLines(join(dir, 'ours.ndjson'), sample, toNdjsonLine));

      const figures: BenchResult['figures'] = {
        'university (students/teachers/courses)': `${students}/200/400`,
        'simulated days': days,
        'events per run': ndjson.events,
        'load average (1 min) / cpus': `${loadavg()[0]!.toFixed(1)}`,
        'generate only, ev/s (wall | cpu)': `${perWall(generateOnly)} | ${perCpu(generateOnly)}`,
        'backfill() → NDJSON file, ev/s (wall | cpu)': `${perWall(ndjson)} | ${perCpu(ndjson)}`,
        'bulk fill() → NDJSON file, ev/s (wall | cpu)': `${perWall(bulk)} | ${perCpu(bulk)}`,
        'ceiling: JSON.stringify + write, ev/s (wall | cpu)': `${perWall(ceiling)} | ${perCpu(ceiling)}`,
        'our serialiser + write, ev/s (wall | cpu)': `${perWall(ours)} | ${perCpu(ours)}`,
      };
      const ratios: Record<string, number> = {
        'backfill→NDJSON / JSON.stringify+write ceiling (cpu)': perCpu(ndjson) / perCpu(ceiling),
        'our serialiser / JSON.stringify (cpu)': perCpu(ours) / perCpu(ceiling),
      };
      notes.push(
        `target ≥ 200,000 ev/s generate+serialise+write on one core: ${
          perCpu(ndjson) >= 200_000 ? 'met' : 'NOT met'
        } (${perCpu(ndjson)} ev per CPU second)`,
      );

      const broker = (process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',')[0]!;
      if (await reachable(broker)) {
        const brokers = (process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
        const topic = (c: Category) => `ula_bench_${c}`;
        const admin = new Kafka({ clientId: 'ula-bench', brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        const perfTopic = 'ula_bench_java_producer';
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            ...categories.map((c) => ({ topic: topic(c), numPartitions: topicPartitions[c] })),
            { topic: perfTopic, numPartitions: 5 },
          ],
        });
        try {
          // All the simulated days (930,712 events at scale 1), the peers' count at most.
          const limit = Math.round(1_000_000 * scale);
          const sink = await KafkaSink.connect({ brokers, topicOf: topic, batchSize: 8000 });
          const kafka = await measureAsync(async () => {
            for (const item of backfill(university, { days, end, limit })) {
              const pending = sink.write(item);
              if (pending) await pending;
            }
            await sink.close();
            return sink.counts.events;
          });
          figures['backfill → Kafka (idempotent, acks=all), ev/s (wall | cpu)'] =
            `${perWall(kafka)} | ${perCpu(kafka)}`;
          figures['Kafka events'] = kafka.events;
          ratios['Kafka / NDJSON (wall)'] = perWall(kafka) / perWall(ndjson);
          // The CLI as run by hand, with its default number of producer processes (on 2 CPUs: one; with
          // more, each simulates the same university and sends its share of the keys). Events per wall
          // second, start-up included.
          const cli = execFileSync(
            join(root, 'node_modules/.bin/tsx'),
            [
              ...['scripts/produce.ts', '--brokers', brokers.join(','), '--topic-prefix', 'ula_bench_'],
              ...['--seed', 'bench', '--students', String(students)],
              ...['--teachers', '200', '--courses', '400', '--days', String(days)],
              ...['--end', new Date(end).toISOString(), '--limit', String(limit), '--quiet'],
            ],
            { cwd: root, encoding: 'utf8' },
          );
          const producers = Number(/: (\d+) producers,/.exec(cli)?.[1] ?? 1);
          const cliRate = Number(/= ([\d,]+) ev\/s/.exec(cli)?.[1]?.replaceAll(',', ''));
          // Peer: the same records (regenerated: the simulation is deterministic) from the Java client.
          const recordsFile = join(dir, 'kafka-records.tsv');
          const fd = openSync(recordsFile, 'w');
          let chunk = '';
          for (const item of backfill(university, { days, end, limit })) {
            if (item.kind !== 'event') continue;
            const m = kafkaMessageOf(item.event);
            chunk += `${[topic(item.event.category), m.key, m.timestamp, m.value, ...Object.entries(m.headers).flat()].join('\t')}\n`;
            if (chunk.length >= 1 << 20) {
              writeSync(fd, chunk);
              chunk = '';
            }
          }
          writeSync(fd, chunk);
          closeSync(fd);
          const javaSame = javaSendRate(broker, recordsFile);
          rmSync(recordsFile);
          if (javaSame !== undefined) {
            figures['Java client, the same records as the CLI (key, value, 8 headers), records/s'] = javaSame;
            ratios['CLI / Java client with the same records (wall)'] = cliRate / javaSame;
            ratios['one in-process producer / Java client with the same records (wall)'] =
              perWall(kafka) / javaSame;
          }
          if (!Number.isFinite(cliRate)) throw new Error(`npm run produce printed no rate: ${cli}`);
          figures[
            `backfill → Kafka, CLI (${producers} producer process${producers > 1 ? 'es' : ''}), ev/s (wall)`
          ] = cliRate;
          ratios['CLI / one in-process producer (wall)'] = cliRate / perWall(kafka);
          const sample = [...backfill(university, { days, end, limit: 10_000 })].flatMap((item) =>
            item.kind === 'event' ? [recordBytes(item.event)] : [],
          );
          const recordSize = Math.round(sample.reduce((a, b) => a + b, 0) / sample.length);
          // A long run: the JVM client needs a few hundred thousand records to warm up.
          const java = javaProducerRate(broker, perfTopic, Math.max(1_000_000, limit), recordSize);
          if (java === undefined) {
            notes.push(
              `Kafka tools not installed at ${kafkaTools} (npm run stack:up installs them): peer skipped`,
            );
          } else {
            figures[`Java producer (kafka-tools), ${recordSize}-byte records, records/s`] = java;
            ratios['backfill → Kafka / Java producer (wall)'] = perWall(kafka) / java;
            ratios['CLI / Java producer (wall)'] = cliRate / java;
          }
        } finally {
          await admin.deleteTopics({ topics: [...categories.map(topic), perfTopic] }).catch(() => undefined);
          await admin.disconnect();
        }
      } else {
        notes.push(`Kafka not reachable at ${broker}: Kafka throughput skipped (npm run stack:up)`);
      }
      return { name: 'generator', figures, ratios, notes };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
