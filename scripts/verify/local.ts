/**
 * The local stack as a deployment for scripts/verify_deploy.sh --local: the same processes the cluster runs,
 * each as the local stack runs it (README, component table):
 *
 * - ingest, speed, serving and xapi: their bundles (functions/<name>/build/index.js) under faas-js-runtime, as
 *   the function images start them, on free loopback ports; serving with a random API token, xapi with random
 *   Basic credentials and the Kafka event sink (the local stack's stand-in for the cluster's KafkaSinks);
 * - the KafkaSource stand-in (scripts/tools/src/dispatch/kafka-dispatcher.ts) delivering video_topic (the
 *   verification's event is a video event) and course_topic (the xAPI check's enrolment) to ingest and speed,
 *   in fresh consumer groups that start at the topics' current ends (only new records are delivered; the
 *   groups are deleted afterwards);
 * - the JobSink stand-in (functions/batch/src/trigger.ts), which runs the batch job entry point
 *   (functions/batch/build/index.js) as a child process per request.
 *
 * Against the stack's real Kafka, S3 (bucket ULA_S3_BUCKET, default lake), Cassandra (keyspace
 * ULA_CASSANDRA_KEYSPACE, default lms_analytics) and Trino.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Dispatcher, startDispatcher } from '@ula/tools/dispatch/kafka-dispatcher';
import { freePort } from '@ula/tools/free-port';
import { Kafka, logLevel } from 'kafkajs';
import { topicOf } from '../../functions/core/src/events/envelope.ts';
import { localStackEnv } from '../e2e/stack-run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalDeployment {
  env: Record<string, string>;
  ingestUrl: string;
  speedUrl: string;
  servingUrl: string;
  triggerUrl: string;
  apiToken: string;
  /** The LRS: `<base>` and its Basic credentials. */
  xapi: { base: string; username: string; password: string };
  stop(): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export interface Running {
  name: string;
  child: ChildProcess;
  output: () => string;
}

function spawnLogged(name: string, args: string[], cwd: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, child, output: () => output };
}

export async function waitReady(p: Running, url: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  const until = t0 + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null)
      throw new Error(`${p.name} exited (${p.child.exitCode}):\n${p.output().slice(-3000)}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return Date.now() - t0;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${p.name} not ready at ${url}:\n${p.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stopProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/** Starts ingest, speed, serving, the dispatcher and the batch trigger; resolves once all are ready. */
export async function startLocalDeployment(
  log: (line: string) => void = (l) => console.log(l),
): Promise<LocalDeployment> {
  for (const name of ['ingest', 'speed', 'serving', 'batch', 'xapi']) {
    if (!existsSync(join(root, 'functions', name, 'build', 'index.js')))
      throw new Error(`functions/${name}/build/index.js is missing: run npm run build first`);
  }
  const apiToken = randomBytes(16).toString('hex');
  const xapiUser = { username: 'ula-verify', password: randomBytes(16).toString('hex') };
  const env: Record<string, string> = {
    ...localStackEnv(),
    ULA_S3_BUCKET: process.env['ULA_S3_BUCKET'] || 'lake',
    ULA_CASSANDRA_KEYSPACE: process.env['ULA_CASSANDRA_KEYSPACE'] || 'lms_analytics',
    ULA_TIMEZONE: process.env['ULA_TIMEZONE'] || 'Asia/Ho_Chi_Minh',
    FUNC_LOG_LEVEL: 'warn',
  };
  // In-process S3 clients (the S3 check) read the credentials from the environment.
  process.env['AWS_ACCESS_KEY_ID'] = env['AWS_ACCESS_KEY_ID'];
  process.env['AWS_SECRET_ACCESS_KEY'] = env['AWS_SECRET_ACCESS_KEY'];

  const processes: Running[] = [];
  let dispatcher: Dispatcher | undefined;
  const groupPrefix = `ula-verify-${Date.now().toString(36)}`;
  const sinks = ['ingest', 'speed'];
  // The verification sends one video event and one enrolment statement: the dispatcher (one KafkaSource per
  // subscriber in the cluster, over all six category topics) delivers those topics only here, which keeps its
  // start short.
  const topics = [topicOf('video'), topicOf('course')];
  const kafka = new Kafka({
    clientId: 'ula-verify-admin',
    brokers: env['ULA_KAFKA_BROKERS']!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const stop = async () => {
    await dispatcher?.stop().catch(() => undefined);
    await Promise.all(processes.map((p) => stopProcess(p.child)));
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups(sinks.map((s) => `${groupPrefix}-${s}`));
    } catch {
      // groups already gone or Kafka down: nothing to clean
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  try {
    const runtime = join(root, 'node_modules/faas-js-runtime/bin/cli.js');
    const urls: Record<string, string> = {};
    const starting: Promise<string>[] = [];
    for (const name of ['ingest', 'speed', 'serving', 'xapi']) {
      const port = await freePort();
      urls[name] = `http://127.0.0.1:${port}`;
      const p = spawnLogged(name, [runtime, './build/index.js'], join(root, 'functions', name), {
        ...env,
        FUNC_PORT: String(port),
        ...(name === 'serving' ? { ULA_API_TOKEN: apiToken } : {}),
        ...(name === 'xapi'
          ? {
              ULA_XAPI_SINK: 'kafka',
              ULA_XAPI_CREDENTIALS: `${xapiUser.username}:${xapiUser.password}:statements/write`,
            }
          : {}),
      });
      processes.push(p);
      starting.push(
        waitReady(p, `${urls[name]}/health/readiness`, 60_000).then((ms) => `${name} ${seconds(ms)}`),
      );
    }
    const triggerPort = await freePort();
    const trigger = spawnLogged(
      'batch trigger',
      ['--import', 'tsx', join(root, 'functions/batch/src/trigger.ts')],
      join(root, 'functions/batch'),
      { ...env, ULA_BATCH_TRIGGER_PORT: String(triggerPort) },
    );
    processes.push(trigger);
    starting.push(
      waitReady(trigger, `http://127.0.0.1:${triggerPort}/health`, 60_000).then(
        (ms) => `batch trigger ${seconds(ms)}`,
      ),
    );
    const ready = await Promise.all(starting);
    let t0 = Date.now();
    // Fresh groups at the topics' ends (kafkajs joins each group once to commit: ~5 s, so in parallel).
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        const partitions = (await admin.fetchTopicOffsets(topic)).map((p) => ({
          partition: p.partition,
          offset: p.high,
        }));
        await Promise.all(
          sinks.map((sink) => admin.setOffsets({ groupId: `${groupPrefix}-${sink}`, topic, partitions })),
        );
      }
    } finally {
      await admin.disconnect();
    }
    const groups = seconds(Date.now() - t0);
    t0 = Date.now();
    dispatcher = await startDispatcher({
      brokers: env['ULA_KAFKA_BROKERS']!.split(','),
      sinks: [
        { name: 'ingest', url: urls['ingest']! },
        { name: 'speed', url: urls['speed']! },
      ],
      groupPrefix,
      topics,
    });
    log(
      `local: ready after ${ready.join(', ')}; consumer groups ${groups}, dispatcher ${seconds(Date.now() - t0)}`,
    );
    log(
      `local: ingest ${urls['ingest']}, speed ${urls['speed']}, serving ${urls['serving']} (faas-js-runtime, ` +
        `build/index.js), xapi ${urls['xapi']}/xapi, batch trigger :${triggerPort}, dispatcher groups ` +
        `${groupPrefix}-{ingest,speed} on ${topics.join(', ')}`,
    );
    return {
      env,
      ingestUrl: urls['ingest']!,
      speedUrl: urls['speed']!,
      servingUrl: urls['serving']!,
      triggerUrl: `http://127.0.0.1:${triggerPort}/jobs/batch`,
      apiToken,
      xapi: { base: `${urls['xapi']}/xapi`, ...xapiUser },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
