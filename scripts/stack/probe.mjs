#!/usr/bin/env node
// Real health checks and one-off setup calls for scripts/stack/*.sh, through the same npm clients the
// project uses. Exit code 0 = healthy/done; the first line of stdout is a short status detail.
//
//   node probe.mjs kafka 127.0.0.1:9092                       metadata request (topic list)
//   node probe.mjs kafka-topics 127.0.0.1:9092 t1:3 t2:5 ...  create topics if missing, verify partitions
//   node probe.mjs cassandra 127.0.0.1:9042                   SELECT release_version FROM system.local
//   node probe.mjs s3 http://127.0.0.1:9000                   ListBuckets
//   node probe.mjs s3-bucket http://127.0.0.1:9000 lake       create bucket if missing
//   node probe.mjs trino https://127.0.0.1:8443 [SQL]         SELECT 1 through the statement API (env ULA_TRINO_*)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, target, ...rest] = process.argv.slice(2);

const fail = (msg) => {
  console.log(String(msg).split('\n')[0]);
  process.exit(1);
};
const timeout = (ms, what) =>
  new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`${what}: timeout after ${ms} ms`)), ms).unref(),
  );

function kafkaAdmin(broker) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'ula-stack-probe',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 2, initialRetryTime: 300 },
  });
  return kafka.admin();
}

async function kafkaHealth(broker) {
  const admin = kafkaAdmin(broker);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const topics = await admin.listTopics();
    console.log(`brokers=${cluster.brokers.length} controller=${cluster.controller} topics=${topics.length}`);
  } finally {
    await admin.disconnect();
  }
}

async function kafkaTopics(broker, specs) {
  const wanted = specs.map((s) => {
    const [topic, n] = s.split(':');
    return { topic, numPartitions: Number(n || 1), replicationFactor: 1 };
  });
  const admin = kafkaAdmin(broker);
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true, timeout: 30000 });
    const meta = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
    const bad = [];
    for (const t of wanted) {
      const m = meta.topics.find((x) => x.name === t.topic);
      if (!m) bad.push(`${t.topic}: missing`);
      else if (m.partitions.length !== t.numPartitions)
        bad.push(`${t.topic}: ${m.partitions.length} partitions, wanted ${t.numPartitions} (left as is)`);
    }
    // Make the broker create __consumer_offsets now (a FindCoordinator request does), so the first
    // consumer group of a test does not meet "The group coordinator is not available".
    for (let i = 0; ; i++) {
      try {
        await admin.describeGroups(['ula-stack-warmup']);
        break;
      } catch (e) {
        if (i >= 20) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    console.log(
      `created=${missing.length} present=${wanted.length - missing.length}${bad.length ? ` mismatched: ${bad.join('; ')}` : ''}`,
    );
    if (bad.some((b) => b.endsWith('missing'))) process.exitCode = 1;
  } finally {
    await admin.disconnect();
  }
}

async function cassandraHealth(hostPort) {
  const cassandra = require('cassandra-driver');
  const [host, port] = hostPort.split(':');
  const client = new cassandra.Client({
    contactPoints: [host],
    protocolOptions: { port: Number(port || 9042) },
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 3000, readTimeout: 10000 },
    pooling: { warmup: false },
  });
  try {
    const rs = await client.execute('SELECT release_version FROM system.local');
    const v = rs.first()?.release_version;
    if (!v) throw new Error('no release_version row');
    console.log(`release_version=${v}`);
  } finally {
    await client.shutdown();
  }
}

function s3Client(endpoint) {
  const { S3Client } = require('@aws-sdk/client-s3');
  return new S3Client({
    endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
}

async function s3Health(endpoint) {
  const { ListBucketsCommand } = require('@aws-sdk/client-s3');
  const out = await s3Client(endpoint).send(new ListBucketsCommand({}));
  console.log(`buckets=${(out.Buckets ?? []).map((b) => b.Name).join(',') || '(none)'}`);
}

async function s3Bucket(endpoint, bucket) {
  const { HeadBucketCommand, CreateBucketCommand } = require('@aws-sdk/client-s3');
  const s3 = s3Client(endpoint);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    console.log(`bucket ${bucket} present`);
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    console.log(`bucket ${bucket} created`);
  }
}

// Trino's client settings as the project's clients read them (ULA_TRINO_USER, _PASSWORD, _CA_FILE; the
// stack's are in .stack/trino/credentials/<user>.env): a password needs https.
function trinoClient(url) {
  const { readFileSync } = require('node:fs');
  const { BasicAuth, Trino } = require('trino-client');
  const ca = process.env.ULA_TRINO_CA_FILE ? readFileSync(process.env.ULA_TRINO_CA_FILE) : undefined;
  return Trino.create({
    server: url,
    source: 'ula-stack-probe',
    auth: new BasicAuth(
      process.env.ULA_TRINO_USER || 'ula-stack',
      process.env.ULA_TRINO_PASSWORD || undefined,
    ),
    ...(ca ? { ssl: { ca } } : {}),
  });
}

async function trinoQuery(url, sql) {
  const rows = [];
  for await (const result of await trinoClient(url).query(sql)) {
    if (result.error) throw new Error(`${result.error.errorName}: ${result.error.message}`);
    if (result.data) rows.push(...result.data);
  }
  return rows;
}

// GET /v1/info needs no credentials (https: trusting ULA_TRINO_CA_FILE).
function trinoInfo(url) {
  const { readFileSync } = require('node:fs');
  const { get } = require(url.startsWith('https:') ? 'node:https' : 'node:http');
  const ca = process.env.ULA_TRINO_CA_FILE ? readFileSync(process.env.ULA_TRINO_CA_FILE) : undefined;
  return new Promise((resolve, reject) => {
    get(`${url}/v1/info`, { ca }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`/v1/info: HTTP ${res.statusCode} ${body.slice(0, 80)} (${e.message})`));
        }
      });
    }).on('error', reject);
  });
}

async function trinoHealth(url, sql) {
  const info = await trinoInfo(url);
  if (info.starting) throw new Error('starting');
  const rows = await trinoQuery(url, sql || 'SELECT 1');
  if (!sql && rows[0]?.[0] !== 1) throw new Error(`unexpected result ${JSON.stringify(rows)}`);
  console.log(sql ? JSON.stringify(rows) : `version=${info.nodeVersion?.version} select1=${rows[0][0]}`);
}

const kinds = {
  kafka: () => kafkaHealth(target),
  'kafka-topics': () => kafkaTopics(target, rest),
  cassandra: () => cassandraHealth(target),
  s3: () => s3Health(target),
  's3-bucket': () => s3Bucket(target, rest[0]),
  trino: () => trinoHealth(target, rest.join(' ')),
};
if (!kinds[kind] || !target) fail(`usage: probe.mjs ${Object.keys(kinds).join('|')} TARGET [ARGS]`);
try {
  await Promise.race([kinds[kind](), timeout(Number(process.env.PROBE_TIMEOUT_MS || 60000), kind)]);
  process.exit(process.exitCode ?? 0);
} catch (e) {
  fail(`${kind}: ${e?.message ?? e}`);
}
