/**
 * Speed layer freshness and throughput, on the local stack (Cassandra required; Kafka used when up).
 *
 * 0. Warm-up: 5 s of the steady load by direct HTTP, not measured (a freshly started function compiles its
 *    hot paths and prepares its statements in its first seconds; a long-running one has).
 * 1. Freshness at a steady 2,000 events/s (× --scale) through the real path: events are produced to a
 *    Kafka topic of their own (binary CloudEvents), the local dispatcher (KafkaSource stand-in) delivers
 *    them over HTTP to the speed function under faas-js-runtime, which writes to Cassandra. When Kafka is
 *    not up, the generator POSTs to the function directly (the notes say which path ran). Ten probe events
 *    per second carry a video id of their own; a poller reads each probe's row from Cassandra
 *    (video_engagement, its window's partition bounded to that video) every few ms: freshness = first
 *    read that sees it − the instant it was produced. The acknowledgement latency of every event (direct
 *    path) is reported too: a 2xx is sent only after the event's facts are written.
 * 2. Sustained maximum throughput per function process: a closed loop of prebuilt POSTs on raw sockets
 *    (closed-loop.ts: 10-19 µs of generator CPU per request, against 61-69 µs with node:http, so the
 *    generator does not set the ceiling) for a fixed time, against the speed function and, in the same
 *    run, against two no-op functions under the same faas-js-runtime: stock, and with core's runtime
 *    hooks (which speed installs; they raise the runtime's own ceiling). The ratios are speed / each no-op.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpBinaryOf } from '@ula/tools/adapters/http-sink';
import { startDispatcher } from '@ula/tools/dispatch/kafka-dispatcher';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { videoEngagement } from '../../functions/core/src/categories/video/speed-views.ts';
import {
  CassandraViewStore,
  type LmsEvent,
  loadConfig,
  speedTable,
  toHttpBinary,
  toKafkaRecord,
} from '../../functions/core/src/index.ts';
import { makers, mixedEvents, random } from '../../functions/speed/test/events.ts';
import {
  buildFunction,
  type RunningFunction,
  startFunction,
} from '../../functions/speed/test/function-process.ts';
import { closedLoop, encodePost } from './closed-loop.ts';
import { noopFunction } from './noop-function.ts';
import type { Bench, BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The Cassandra JVM of the local stack, if it runs on this machine. */
function cassandraPid(): number | undefined {
  try {
    const out = execFileSync('pgrep', ['-f', '[j]ava.*CassandraDaemon'], { encoding: 'utf8' })
      .trim()
      .split('\n')[0];
    return out ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}
const minute = 60_000;

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => Math.round(n * 10) / 10;

/** A keep-alive HTTP client: cheaper per request than fetch, so the generator leaves CPU to the function. */
function client(url: string, sockets: number) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return {
    post(event: LmsEvent): Promise<number> {
      const message = toHttpBinary(event);
      const body = message.body as string;
      return new Promise((resolve, reject) => {
        const request = http.request(
          {
            agent,
            hostname,
            port,
            method: 'POST',
            path: '/',
            headers: {
              ...(message.headers as Record<string, string>),
              'content-length': Buffer.byteLength(body),
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** Events of the older system's category mix (docs/architecture.md#the-older-system) stamped `now`, with fresh ids. */
function eventStream(seed: number) {
  const rnd = random(seed);
  let buffer: LmsEvent[] = [];
  return (): LmsEvent => {
    if (buffer.length === 0) buffer = mixedEvents(5000, 0, 1, Math.floor(rnd() * 1e9));
    const e = buffer.pop()!;
    return { ...e, time: new Date().toISOString() };
  };
}

interface Throughput {
  rate: number;
  /** CPU µs per event of the function process, of Cassandra (when local), and of the load generator. */
  functionCpuUs: number;
  cassandraCpuUs: number;
  generatorCpuUs: number;
}

/** `count` POSTs of reference-mix events with fresh ids, stamped as if sent at `rate` events/s from now. */
function prebuiltPosts(port: number, count: number, rate: number, seed: number): Buffer[] {
  const host = `127.0.0.1:${port}`;
  const rnd = random(seed);
  const start = Date.now();
  const posts: Buffer[] = [];
  while (posts.length < count) {
    for (const event of mixedEvents(5000, 0, 1, Math.floor(rnd() * 1e9))) {
      if (posts.length === count) break;
      const time = new Date(start + (posts.length * 1000) / rate).toISOString();
      const { headers, body } = httpBinaryOf({ ...event, time });
      posts.push(encodePost(host, '/', headers, body));
    }
  }
  return posts;
}

/**
 * Closed loop (closed-loop.ts): `concurrency` connections for `seconds` after a 2 s warm-up that is not
 * counted (JIT, connections, prepared statements) and sizes the pool of prebuilt events; events/s answered
 * 200. Every event is sent once, stamped about when it is sent.
 */
async function maxThroughput(
  fn: RunningFunction,
  seconds: number,
  concurrency: number,
  cassandra: number | undefined,
): Promise<Throughput> {
  const port = Number(new URL(fn.url).port);
  const warmSeconds = 2;
  const warmRate = 20_000;
  const warm = await closedLoop(
    [{ port, requests: prebuiltPosts(port, warmRate * warmSeconds, warmRate, 3) }],
    concurrency,
    warmSeconds,
  );
  const warmedRate = warm.answered / warm.seconds;
  // Room for the rate to grow once warm; if the pool still runs out, the run ends early and is timed as such.
  const posts = prebuiltPosts(port, Math.ceil(warmedRate * 1.5 * seconds), warmedRate, 7);
  const cpu0 = [cpuSeconds(fn.process.pid), cpuSeconds(cassandra)];
  const run = await closedLoop([{ port, requests: posts }], concurrency, seconds);
  const cpu1 = [cpuSeconds(fn.process.pid), cpuSeconds(cassandra)];
  const ok = run.statuses.get(200) ?? 0;
  if (ok !== run.answered)
    throw new Error(
      `answers other than 200 during the throughput run against ${fn.url}: ${[...run.statuses]}`,
    );
  return {
    rate: Math.round(ok / run.seconds),
    functionCpuUs: Math.round(((cpu1[0]! - cpu0[0]!) / ok) * 1e6),
    cassandraCpuUs: Math.round(((cpu1[1]! - cpu0[1]!) / ok) * 1e6),
    generatorCpuUs: Math.round(run.generatorCpuUs * 10) / 10,
  };
}

async function kafkaUp(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'ula-bench-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await Promise.race([
      admin.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000)),
    ]);
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** POSTs each event; resolves with each one's acknowledgement latency in ms (-1 for a failure). */
const postAll = (http: ReturnType<typeof client>, events: LmsEvent[]): Promise<number[]> =>
  Promise.all(
    events.map(async (e) => {
      const t0 = performance.now();
      const status = await http.post(e);
      return status === 200 ? performance.now() - t0 : -1;
    }),
  );

const warmupSeconds = 5;

interface Freshness {
  path: string;
  sent: number;
  probes: number[];
  acks: number[];
  failures: number;
  achievedRate: number;
}

/**
 * Steady load at `rate` events/s for `seconds`, ten probes per second; returns freshness samples (ms).
 * `send` delivers events (HTTP POSTs, or one produce to Kafka) and resolves with each event's
 * acknowledgement latency in ms (-1 for a failure).
 */
async function steadyLoad(
  store: CassandraViewStore,
  rate: number,
  seconds: number,
  send: (events: LmsEvent[]) => Promise<number[]>,
  path: string,
): Promise<Freshness> {
  const table = speedTable(videoEngagement);
  const next = eventStream(11);
  const tag = `PROBE-${Date.now().toString(36)}`;
  const probes = new Map<string, { produced: number; window: number }>();
  const freshness: number[] = [];
  const acks: number[] = [];
  let sent = 0;
  let failures = 0;
  let probeNo = 0;
  let polling = true;
  // One query per window and round, whatever the number of outstanding probes (a probe per query would
  // load Cassandra and this process more as a backlog grows, and so feed the backlog).
  const query = `SELECT video_id FROM ${store.keyspace}.${table.name} WHERE window_start = ? AND video_id IN ?`;
  const poller = (async () => {
    while (polling || probes.size > 0) {
      const byWindow = new Map<number, string[]>();
      for (const [video, probe] of probes)
        byWindow.set(probe.window, [...(byWindow.get(probe.window) ?? []), video]);
      await Promise.all(
        [...byWindow].map(async ([window, videos]) => {
          const result = await store.client.execute(query, [new Date(window), videos], { prepare: true });
          const seen = performance.now();
          for (const row of result.rows) {
            const video = row['video_id'] as string;
            const probe = probes.get(video);
            if (probe && probes.delete(video)) freshness.push(seen - probe.produced);
          }
        }),
      );
      for (const [video, probe] of probes) {
        if (performance.now() - probe.produced > 60_000) {
          probes.delete(video);
          failures++;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  let carry = 0;
  for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
    carry += perTick;
    const batch: LmsEvent[] = [];
    for (; carry >= 1; carry--) batch.push(next());
    // One probe every 100 ms: a VIDEO_WATCHED event with a video id of its own.
    if (tick % 10 === 0 && batch.length > 0) {
      const probe = makers['VIDEO_WATCHED']!(random(probeNo), Date.now());
      const video = `${tag}-${probeNo++}`;
      batch[0] = { ...probe, data: { ...probe.data, video_id: video } };
      probes.set(video, {
        produced: performance.now(),
        window: Math.floor(Date.parse(probe.time) / minute) * minute,
      });
    }
    sent += batch.length;
    const p = send(batch).then(
      (latencies) => {
        for (const t of latencies) {
          if (t >= 0) acks.push(t);
          else failures++;
        }
      },
      () => {
        failures += batch.length;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    const due = start + (tick + 1) * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(inFlight);
  polling = false;
  await poller;
  return { path, sent, probes: freshness, acks, failures, achievedRate: Math.round(sent / elapsed) };
}

const bench: Bench = {
  name: 'speed',
  needs: ['cassandra'],
  async run({ scale }): Promise<BenchResult> {
    const config = loadConfig({
      ...process.env,
      ULA_CASSANDRA_CONTACT_POINTS: process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1',
    });
    const brokers = (process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
    const notes: string[] = [];
    const rate = Math.round(2000 * scale);
    const seconds = 20;
    buildFunction('speed');
    const dir = mkdtempSync(join(tmpdir(), 'ula-speed-bench-'));
    const noopStock = await noopFunction(root, dir, { hooks: false, json: true });
    const noopHooked = await noopFunction(root, dir, { hooks: true, json: true });
    const env = {
      FUNC_LOG_LEVEL: 'warn',
      ULA_CASSANDRA_CONTACT_POINTS: config.cassandra!.contactPoints.join(','),
      ULA_CASSANDRA_KEYSPACE: config.keyspace,
    };
    const store = new CassandraViewStore(config.cassandra!);
    const running: RunningFunction[] = [];
    try {
      const speed = await startFunction(env);
      running.push(speed);
      const figures: BenchResult['figures'] = {};

      const report = (label: string, fresh: Freshness) => {
        const probes = fresh.probes.sort((a, b) => a - b);
        const acks = fresh.acks.sort((a, b) => a - b);
        figures[`${label}: rate achieved (events/s)`] = fresh.achievedRate;
        figures[`${label}: events sent / failures`] = `${fresh.sent} / ${fresh.failures}`;
        figures[`${label}: freshness p50 (ms)`] = ms(percentile(probes, 50));
        figures[`${label}: freshness p99 (ms)`] = ms(percentile(probes, 99));
        figures[`${label}: freshness max (ms), probes`] =
          `${ms(probes.at(-1) ?? Number.NaN)}, ${probes.length}`;
        figures[`${label}: ack p50 / p99 (ms)`] = `${ms(percentile(acks, 50))} / ${ms(percentile(acks, 99))}`;
      };
      figures['steady rate target (events/s)'] = rate;

      // 0. Warm-up, not measured: a function that has just started compiles its hot paths and prepares its
      // statements under the first seconds of load; a long-running one has done so.
      const warm = client(speed.url, 1024);
      await steadyLoad(store, rate, warmupSeconds, (events) => postAll(warm, events), 'warm-up');
      warm.close();

      // 1a. Freshness at a steady rate through Kafka and the dispatcher (when Kafka is up): at a quarter of
      // the target first (the path's latency with headroom), then at the target.
      if (await kafkaUp(brokers)) {
        const kafkaPhase = async (phaseRate: number, label: string) => {
          const topic = `bench_speed_${Date.now()}`;
          const kafka = new Kafka({ clientId: 'ula-bench-speed', brokers, logLevel: logLevel.WARN });
          const admin = kafka.admin();
          await admin.connect();
          await admin.createTopics({
            topics: [{ topic, numPartitions: 5, replicationFactor: 1 }],
            waitForLeaders: true,
          });
          const producer = kafka.producer({
            allowAutoTopicCreation: false,
            createPartitioner: Partitioners.DefaultPartitioner,
          });
          await producer.connect();
          const dispatcher = await startDispatcher({
            brokers,
            sinks: [{ name: 'speed', url: speed.url }],
            topics: [topic],
            groupPrefix: `bench-${topic}`,
            concurrency: 1024,
          });
          // Let the consumer group settle before timing anything.
          await new Promise((r) => setTimeout(r, 3000));
          try {
            const fresh = await steadyLoad(
              store,
              phaseRate,
              seconds,
              async (events) => {
                const t0 = performance.now();
                await producer.send({
                  topic,
                  messages: events.map((e) => {
                    const record = toKafkaRecord(e);
                    return { key: record.key, value: record.value, headers: record.headers };
                  }),
                });
                const t = performance.now() - t0;
                return events.map(() => t);
              },
              'kafka',
            );
            report(label, fresh);
          } finally {
            await dispatcher.stop();
            await producer.disconnect();
            await admin.deleteTopics({ topics: [topic] }).catch(() => {});
            await admin.disconnect();
          }
          // Let the function finish whatever the dispatcher left in flight.
          await new Promise((r) => setTimeout(r, 5000));
        };
        await kafkaPhase(Math.round(rate / 4), `kafka path ${Math.round(rate / 4)}/s`);
        await kafkaPhase(rate, `kafka path ${rate}/s`);
        notes.push(
          'kafka path: producer → Kafka topic (5 partitions) → dispatcher (KafkaSource stand-in, in the bench process, up to 1,024 deliveries in flight per partition batch) → HTTP → speed → Cassandra; its acks are Kafka produce acks',
        );
      } else {
        notes.push('kafka path skipped: Kafka is not up (bash scripts/stack/stack.sh up kafka)');
      }

      // 1b. The same steady load by direct HTTP (as Knative delivers to the function).
      const direct = client(speed.url, 1024);
      const fresh = await steadyLoad(store, rate, seconds, (events) => postAll(direct, events), 'direct');
      direct.close();
      report('direct HTTP', fresh);
      notes.push(
        `freshness = probe produced → its row first read from Cassandra (polled every 5 ms), after a ${warmupSeconds} s warm-up at the same rate (not measured); ack = POST → 2xx, sent only after the facts are written`,
      );

      // 2. Sustained maximum throughput, speed vs no-op under the same runtime.
      const throughputSeconds = 10;
      const concurrency = 256;
      const cassandra = cassandraPid();
      const speedMax = await maxThroughput(speed, throughputSeconds, concurrency, cassandra);
      await speed.stop();
      const noopMax = async (entry: string) => {
        const noop = await startFunction({ FUNC_LOG_LEVEL: 'warn' }, { entry });
        running.push(noop);
        const max = await maxThroughput(noop, throughputSeconds, concurrency, undefined);
        await noop.stop();
        return max;
      };
      const stockMax = await noopMax(noopStock);
      const hookedMax = await noopMax(noopHooked);
      figures['speed max throughput (events/s, 1 process)'] = speedMax.rate;
      figures['no-op, stock runtime (events/s)'] = stockMax.rate;
      figures['no-op, runtime hooks (events/s)'] = hookedMax.rate;
      figures['speed function CPU per event (µs)'] = speedMax.functionCpuUs;
      figures['Cassandra CPU per speed event (µs)'] = speedMax.cassandraCpuUs;
      figures['no-op function CPU per event, stock / hooks (µs)'] =
        `${stockMax.functionCpuUs} / ${hookedMax.functionCpuUs}`;
      figures['load generator CPU per event, speed / no-op stock / no-op hooks (µs)'] =
        `${speedMax.generatorCpuUs} / ${stockMax.generatorCpuUs} / ${hookedMax.generatorCpuUs}`;
      notes.push(
        `throughput: closed loop of ${concurrency} keep-alive connections for ${throughputSeconds} s after a 2 s warm-up, prebuilt POSTs of reference-mix events (each sent once, stamped about when sent) written on raw sockets; load generator, function and Cassandra share this machine's ${cpus().length} cores`,
      );
      notes.push(
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')} (other work on the machine skews every figure)`,
      );
      return {
        name: 'speed',
        figures,
        ratios: {
          'speed / no-op (stock runtime)': speedMax.rate / stockMax.rate,
          'speed / no-op (runtime hooks)': speedMax.rate / hookedMax.rate,
        },
        notes,
      };
    } finally {
      await Promise.all(running.map((f) => f.stop()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;

// `tsx scripts/bench/speed.bench.ts` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await bench.run({ scale: Number(process.env['SCALE'] ?? 1), flags: {} });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
