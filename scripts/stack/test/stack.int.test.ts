// Smoke tests of the local stack (scripts/stack/stack.sh up) through the real clients the project uses.
// Run: bash scripts/stack/stack.sh up && npx vitest run --project integration scripts/stack/test
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import cassandra from 'cassandra-driver';
import { Kafka as CeKafka, CloudEvent } from 'cloudevents';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { type IHeaders, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTrino } from '../../../functions/core/src/lake/trino-access.ts';
import { stackTrinoAccess } from '../trino-credentials.ts';

const env = (k: string, d: string) => process.env[k] || d;
const KAFKA_BROKERS = env('ULA_KAFKA_BROKERS', '127.0.0.1:9092').split(',');
const CASSANDRA_POINTS = env('ULA_CASSANDRA_CONTACT_POINTS', '127.0.0.1').split(',');
const S3_ENDPOINT = env('ULA_S3_ENDPOINT', 'http://127.0.0.1:9000');
const BUCKET = env('ULA_S3_BUCKET', 'lake');
// Same local development defaults as scripts/stack/lib.sh.
const AWS_KEY = env('AWS_ACCESS_KEY_ID', 'ula-local-access');
const AWS_SECRET = env('AWS_SECRET_ACCESS_KEY', 'ula-local-secret-key');

const RUN = `${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;
const SMOKE_KS = 'ula_smoke';

function s3(): S3Client {
  return new S3Client({
    endpoint: S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: AWS_KEY, secretAccessKey: AWS_SECRET },
  });
}

function cql(): cassandra.Client {
  return new cassandra.Client({ contactPoints: CASSANDRA_POINTS, localDataCenter: 'datacenter1' });
}

describe('Kafka (KRaft 4.x) with kafkajs', () => {
  const kafka = new Kafka({ clientId: 'ula-stack-smoke', brokers: KAFKA_BROKERS, logLevel: logLevel.ERROR });

  it('has the project topics with their partition counts', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const wanted: Record<string, number> = {
        auth_topic: 3,
        assessment_topic: 5,
        video_topic: 5,
        course_topic: 3,
        profile_topic: 2,
        notification_topic: 3,
        dead_letter_topic: 3,
      };
      const meta = await admin.fetchTopicMetadata({ topics: Object.keys(wanted) });
      const got = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      expect(got).toEqual(wanted);
    } finally {
      await admin.disconnect();
    }
  });

  it('produces and consumes a binary-mode CloudEvent (ce_* headers)', async () => {
    const topic = `smoke_ce_${RUN}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    const event = new CloudEvent({
      specversion: '1.0',
      id: randomUUID(),
      source: '/ula/stack-smoke',
      type: 'ula.smoke.ping',
      datacontenttype: 'application/json',
      partitionkey: 'student-42',
      data: { hello: 'kafka', n: 42 },
    });
    const msg = CeKafka.binary(event);
    const headers: IHeaders = {};
    for (const [k, v] of Object.entries(msg.headers)) if (v !== undefined) headers[k] = String(v);
    expect(Object.keys(headers)).toContain('ce_id');

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: String(msg.key), value: JSON.stringify(msg.value), headers }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `smoke_${RUN}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<CloudEvent<unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 60 s')), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) if (v != null) h[k] = v.toString();
            const value = message.value?.toString() ?? '';
            // A Kafka record as the cloudevents Kafka binding reads it (headers as strings, key, value).
            const record = { headers: h, key: message.key?.toString() ?? '', value, body: value };
            resolve(CeKafka.toEvent(record) as CloudEvent<unknown>);
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.id).toBe(event.id);
    expect(received.type).toBe('ula.smoke.ping');
    expect(received.source).toBe('/ula/stack-smoke');
    expect(received.data).toEqual({ hello: 'kafka', n: 42 });
    const admin2 = kafka.admin();
    await admin2.connect();
    await admin2.deleteTopics({ topics: [topic] });
    await admin2.disconnect();
  });
});

describe('Cassandra 5 with cassandra-driver', () => {
  const client = cql();
  beforeAll(async () => {
    await client.connect();
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${SMOKE_KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${SMOKE_KS}.kv (run text, k int, v text, at timestamp, PRIMARY KEY (run, k))`,
    );
  });
  afterAll(() => client.shutdown());

  it('answers system.local with a 5.x release', async () => {
    const rs = await client.execute('SELECT release_version FROM system.local');
    expect(rs.first().release_version).toMatch(/^5\./);
  });

  it('round-trips rows through prepared statements', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    for (const k of [1, 2, 3])
      await client.execute(
        `INSERT INTO ${SMOKE_KS}.kv (run, k, v, at) VALUES (?, ?, ?, ?)`,
        [RUN, k, `v${k}`, at],
        {
          prepare: true,
        },
      );
    const rs = await client.execute(`SELECT k, v, at FROM ${SMOKE_KS}.kv WHERE run = ?`, [RUN], {
      prepare: true,
    });
    expect(rs.rows.map((r) => [r.k, r.v, (r.at as Date).toISOString()])).toEqual([
      [1, 'v1', at.toISOString()],
      [2, 'v2', at.toISOString()],
      [3, 'v3', at.toISOString()],
    ]);
  });

  const schemaFile = fileURLToPath(new URL('../../../cassandra/schema.cql', import.meta.url));
  it.runIf(existsSync(schemaFile))('has the project keyspace from cassandra/schema.cql applied', async () => {
    const ks = /CREATE KEYSPACE IF NOT EXISTS (\w+)/i.exec(readFileSync(schemaFile, 'utf8'))?.[1];
    expect(ks).toBeTruthy();
    const rs = await client.execute(
      'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [ks],
      {
        prepare: true,
      },
    );
    expect(rs.rowLength).toBe(1);
  });
});

describe('S3 with @aws-sdk/client-s3', () => {
  const client = s3();
  afterAll(() => client.destroy());

  it('puts, lists (ListObjectsV2) and gets objects in the lake bucket', async () => {
    const prefix = `smoke/s3_${RUN}/`;
    const bodies: Record<string, string> = {
      [`${prefix}a.txt`]: 'alpha',
      [`${prefix}dir/b.json`]: '{"b":2}',
    };
    for (const [Key, Body] of Object.entries(bodies))
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));

    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(Object.keys(bodies).sort());
    const delimited = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, Delimiter: '/' }),
    );
    expect((delimited.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual([`${prefix}dir/`]);

    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}dir/b.json` }));
    expect(await got.Body?.transformToString()).toBe('{"b":2}');

    for (const Key of Object.keys(bodies))
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
    const after = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    expect(after.KeyCount ?? 0).toBe(0);
  });
});

describe('Trino with trino-client (Cassandra + Parquet in the lake)', () => {
  const trino = connectTrino(stackTrinoAccess('ula_admin'));
  const table = `x_${RUN}`;
  const location = `s3://${BUCKET}/smoke/${table}/`;

  async function query(sql: string): Promise<unknown[][]> {
    const rows: unknown[][] = [];
    for await (const r of await trino.query(sql)) {
      if (r.error) throw new Error(`Trino: ${r.error.errorName}: ${r.error.message}\n${sql}`);
      if (r.data) rows.push(...r.data);
    }
    return rows;
  }

  beforeAll(async () => {
    // Cassandra side: rows in a table of the smoke keyspace.
    const c = cql();
    await c.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${SMOKE_KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await c.execute(
      `CREATE TABLE IF NOT EXISTS ${SMOKE_KS}.courses (course_id text PRIMARY KEY, title text)`,
    );
    for (const [id, title] of [
      ['c1', 'Algebra'],
      ['c2', 'Biology'],
    ])
      await c.execute(`INSERT INTO ${SMOKE_KS}.courses (course_id, title) VALUES (?, ?)`, [id, title], {
        prepare: true,
      });
    await c.shutdown();
    // Trino's Cassandra connector learns of new keyspaces and tables from schema events, a moment later: a
    // query right after the CREATE fails with SCHEMA_NOT_FOUND (every time when tried at once; in the full
    // suite, when the other tests left this one no time). Wait until it sees the table.
    for (let attempt = 0; ; attempt++) {
      const error = await query(`SELECT count(*) FROM cassandra.${SMOKE_KS}.courses`).then(
        () => undefined,
        (e: Error) => e,
      );
      if (!error) break;
      if (attempt >= 120) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }

    // Lake side: a Parquet file written by hyparquet-writer under s3://lake/smoke/<table>/.
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'course_id', data: ['c1', 'c2', 'c1', 'c3'], type: 'STRING' },
        { name: 'student_id', data: ['s1', 's2', 's3', 's4'], type: 'STRING' },
        { name: 'score', data: [90.5, 70, 80, 60], type: 'DOUBLE' },
        { name: 'attempts', data: [1, 2, 3, 4], type: 'INT32' },
      ],
    });
    const client = s3();
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `smoke/${table}/part-00000.parquet`,
        Body: new Uint8Array(parquet),
      }),
    );
    client.destroy();
  });

  afterAll(async () => {
    await query(`DROP TABLE IF EXISTS lake.smoke.${table}`).catch(() => undefined);
  });

  it('answers SELECT 1', async () => {
    expect(await query('SELECT 1')).toEqual([[1]]);
  });

  it('reports query errors through .error (not thrown)', async () => {
    const results = [];
    for await (const r of await trino.query('SELECT * FROM lake.smoke.no_such_table_here')) results.push(r);
    expect(
      results.some(
        (r) => r.error?.errorName === 'TABLE_NOT_FOUND' || r.error?.errorName === 'SCHEMA_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('creates a schema and an external Parquet table in the file metastore on S3', async () => {
    await query(`CREATE SCHEMA IF NOT EXISTS lake.smoke WITH (location = 's3://${BUCKET}/smoke/')`);
    await query(
      `CREATE TABLE lake.smoke.${table} (course_id varchar, student_id varchar, score double, attempts integer)
       WITH (external_location = '${location}', format = 'PARQUET')`,
    );
    expect(await query(`SELECT count(*), sum(attempts), max(score) FROM lake.smoke.${table}`)).toEqual([
      [4, 10, 90.5],
    ]);
    // The metastore itself lives in the bucket.
    const client = s3();
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `metastore/smoke/${table}/` }),
    );
    client.destroy();
    expect(listed.KeyCount ?? 0).toBeGreaterThan(0);
  });

  it('joins a Cassandra table with the Parquet table', async () => {
    const rows = await query(
      `SELECT c.title, count(*) AS n, avg(x.score) AS avg_score
       FROM lake.smoke.${table} x JOIN cassandra.${SMOKE_KS}.courses c ON c.course_id = x.course_id
       GROUP BY c.title ORDER BY c.title`,
    );
    expect(rows).toEqual([
      ['Algebra', 2, 85.25],
      ['Biology', 1, 70],
    ]);
  });
});
