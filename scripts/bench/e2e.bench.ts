/**
 * End to end on the local stack (Kafka, S3, Cassandra): a day of generated traffic is produced to the
 * category topics, the dispatcher (KafkaSource stand-in) delivers it to one ingest process under
 * faas-js-runtime, then the batch job runs for that day.
 * Reports: events/s sustained through Kafka → ingest (from the first record produced to the last one
 * acknowledged), and the time from the end of the day's traffic (last acknowledgement) to its batch views
 * being queryable in Cassandra. Peer in the same run: a bare kafkajs consumer reading the same records
 * (the transport's ceiling on this machine).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startDispatcher } from '@ula/tools/dispatch/kafka-dispatcher';
import { backfill, createUniversity, type GeneratedItem } from '@ula/tools/generator/index';
import { Kafka, logLevel } from 'kafkajs';
import { categories, topicOf } from '../../functions/core/src/events/envelope.ts';
import { addDays, utcDate } from '../../functions/core/src/views/time.ts';
import { buildFunction, startFunction } from '../../functions/speed/test/function-process.ts';
import { cassandraClient, consumerGroupsAtEnd, produce, resetStorage, stackEnv } from '../e2e/stack-run.ts';
import type { Bench } from './result.ts';

const root = join(import.meta.dirname, '../..');
const seconds = (from: number, to = performance.now()) => (to - from) / 1000;

const bench: Bench = {
  name: 'e2e',
  needs: ['kafka', 's3', 'cassandra'],
  async run({ scale }) {
    const env = stackEnv({ keyspace: 'lms_bench_e2e', bucket: 'lake-bench-e2e' });
    await resetStorage(env);
    buildFunction('ingest');
    buildFunction('batch');
    const today = utcDate(Date.now() + 7 * 3_600_000);
    const day = addDays(today, -1);
    const items: GeneratedItem[] = [
      ...backfill(createUniversity({ seed: 'bench-e2e', students: 3000 * scale }), {
        days: 1,
        end: Date.parse(`${today}T00:00:00+07:00`),
      }),
    ];

    const ingest = await startFunction(env, { name: 'ingest' });
    const kafka = new Kafka({
      clientId: 'bench-e2e',
      brokers: env['ULA_KAFKA_BROKERS']!.split(','),
      logLevel: logLevel.WARN,
    });
    const prefix = `bench-e2e-${Date.now().toString(36)}`;
    await consumerGroupsAtEnd(kafka, prefix, ['ingest', 'peer']);
    try {
      const dispatcher = await startDispatcher({
        brokers: env['ULA_KAFKA_BROKERS']!.split(','),
        sinks: [{ name: 'ingest', url: ingest.url }],
        groupPrefix: prefix,
        concurrency: 256,
      });
      const start = performance.now();
      await produce(kafka, items);
      const produced = seconds(start);
      const counts = dispatcher.counts['ingest']!;
      while (counts.delivered + counts.deadLettered < items.length)
        await new Promise((r) => setTimeout(r, 100));
      const trafficEnd = performance.now();
      await dispatcher.stop();

      execFileSync(
        process.execPath,
        [join(root, 'functions/batch/build/index.js'), '--job', 'all', '--from', day, '--to', day],
        {
          env: { ...process.env, ...env },
          stdio: 'pipe',
        },
      );
      const batchDone = performance.now();
      const client = cassandraClient(env);
      const row = await client.execute(
        `SELECT daily_active_users FROM ${env['ULA_CASSANDRA_KEYSPACE']}.auth_daily_active_users WHERE date = ?`,
        [day],
        { prepare: true },
      );
      await client.shutdown();
      if (row.rows.length !== 1)
        throw new Error(`no auth_daily_active_users row for ${day} after the batch run`);
      const queryable = performance.now();

      // Peer: a bare consumer reading the same records from the same offsets.
      const consumer = kafka.consumer({ groupId: `${prefix}-peer` });
      await consumer.connect();
      await consumer.subscribe({ topics: categories.map(topicOf) });
      let read = 0;
      const peerStart = performance.now();
      await consumer.run({
        eachBatch: async ({ batch }) => {
          read += batch.messages.length;
        },
      });
      while (read < items.length) await new Promise((r) => setTimeout(r, 50));
      const peerSeconds = seconds(peerStart);
      await consumer.disconnect();

      const pipelineRate = items.length / seconds(start, trafficEnd);
      const peerRate = items.length / peerSeconds;
      return {
        name: 'e2e',
        figures: {
          'events in the day': items.length,
          'produce to Kafka, s': produced.toFixed(1),
          'Kafka → ingest sustained, events/s': Math.round(pipelineRate),
          'bare consumer (peer), events/s': Math.round(peerRate),
          'end of traffic → batch views queryable, s': seconds(trafficEnd, queryable).toFixed(1),
          'of which the batch job, s': seconds(trafficEnd, batchDone).toFixed(1),
        },
        ratios: { 'pipeline / bare consumer': pipelineRate / peerRate },
        notes: ['one ingest process; dispatcher in the bench process; all services share this machine'],
      };
    } finally {
      await ingest.stop();
    }
  },
};
export default bench;
