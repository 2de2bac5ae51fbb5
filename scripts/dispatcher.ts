// Local stand-in for Knative Eventing: `npm run dispatch -- --sink ingest=http://127.0.0.1:8081 …`
import { parseArgs } from 'node:util';
import { startDispatcher } from '@ula/tools/dispatch/kafka-dispatcher';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092' },
    sink: {
      type: 'string',
      multiple: true,
      default: ['ingest=http://127.0.0.1:8081', 'speed=http://127.0.0.1:8082'],
    },
    concurrency: { type: 'string', default: '500' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: npm run dispatch -- [--brokers host:port] [--sink name=url]... [--concurrency N]');
  process.exit(0);
}
const sinks = values.sink.map((s) => {
  const [name, url] = s.split('=', 2);
  if (!name || !url) throw new Error(`--sink must be name=url, got "${s}"`);
  return { name, url };
});
const dispatcher = await startDispatcher({
  brokers: values.brokers.split(','),
  sinks,
  concurrency: Number(values.concurrency),
});
console.log(JSON.stringify({ msg: 'dispatcher started', sinks }));
const report = setInterval(
  () => console.log(JSON.stringify({ msg: 'dispatched', counts: dispatcher.counts })),
  10_000,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    clearInterval(report);
    await dispatcher.stop();
    console.log(JSON.stringify({ msg: 'dispatcher stopped', counts: dispatcher.counts }));
    process.exit(0);
  });
}
