/** Command-line flags of `npm start` (scripts/demo/main.ts). */
import { parseArgs } from 'node:util';

export interface DemoArgs {
  students: number;
  days: number;
  seed: string;
  port: number;
  host: string;
  rate: number;
  reset: boolean;
  live: boolean;
  malformedRate: number;
  kafka: string | undefined;
  s3: string | undefined;
  cassandra: string | undefined;
  dataDir: string | undefined;
  /** Stop after this many seconds of live traffic (tests); default: until Ctrl-C. */
  liveSeconds: number | undefined;
  /** Exit once the dashboard is up (after live seconds, if any). */
  exit: boolean;
  /** The university's activity as xAPI statements through the in-process LRS (the xapi function). */
  xapi: boolean;
  help: boolean;
}

export const usage = `Usage: npm start -- [flags]

Runs the whole pipeline in one process (generator → in-process CloudEvents bus → ingest + speed →
local-directory lake → batch → SQLite views → API + dashboard) and keeps live traffic flowing.

  --students N         students of the simulated university (default 3000)
  --days N             days of history backfilled before today (default 7)
  --seed S             seed of the university and its history (default ula)
  --port N             API + dashboard port on 127.0.0.1 (default 8083)
  --host H             listen address (default 127.0.0.1)
  --rate N             live events per second (default 20)
  --no-live            no live traffic: backfill, batch, serve
  --live-seconds N     stop live traffic after N seconds (and exit with --exit)
  --exit               exit after the backfill and batch (and live seconds), not serving forever
  --malformed-rate R   share of malformed records, rejected and dead-lettered (default 0.002)
  --xapi               the activity arrives as an LMS sends it: xAPI statements, POSTed to the xapi function's
                       LRS (in process), which stores them and hands their events to ingest and speed
  --reset              wipe the data folder first (ULA_DATA_DIR, default .data)
  --data-dir DIR       data folder (default ULA_DATA_DIR or .data)
  --kafka BROKERS      produce to Kafka and deliver with the Kafka dispatcher (ULA_KAFKA_BROKERS)
  --s3 ENDPOINT        lake in S3 at ENDPOINT (ULA_S3_ENDPOINT; bucket ULA_S3_BUCKET, creds AWS_*)
  --cassandra HOSTS    views in Cassandra (ULA_CASSANDRA_CONTACT_POINTS; keyspace ULA_CASSANDRA_KEYSPACE)
  --help               this text

Data persists in the data folder between runs; a rerun continues the same simulated history
(only what was not ingested yet is backfilled). Ctrl-C stops cleanly.`;

const positive = (name: string, raw: string | undefined, fallback: number, integer = true): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  return n;
};

export function parseDemoArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoArgs {
  const { values } = parseArgs({
    args: [...argv],
    allowNegative: true,
    options: {
      students: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      rate: { type: 'string' },
      reset: { type: 'boolean', default: false },
      live: { type: 'boolean', default: true },
      'live-seconds': { type: 'string' },
      exit: { type: 'boolean', default: false },
      xapi: { type: 'boolean', default: false },
      'malformed-rate': { type: 'string' },
      'data-dir': { type: 'string' },
      kafka: { type: 'string' },
      s3: { type: 'string' },
      cassandra: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const malformedRate = values['malformed-rate'] === undefined ? 0.002 : Number(values['malformed-rate']);
  if (!(malformedRate >= 0 && malformedRate < 1))
    throw new Error(`--malformed-rate must be in [0, 1), got "${values['malformed-rate']}"`);
  const liveSeconds = values['live-seconds'];
  return {
    students: positive('students', values.students, 3000),
    days: positive('days', values.days, 7),
    seed: values.seed ?? 'ula',
    port: positive('port', values.port, 8083),
    host: values.host ?? '127.0.0.1',
    rate: positive('rate', values.rate, 20, false),
    reset: values.reset,
    live: values.live,
    malformedRate,
    kafka: values.kafka ?? env['ULA_KAFKA_BROKERS'],
    s3: values.s3 ?? env['ULA_S3_ENDPOINT'],
    cassandra: values.cassandra ?? env['ULA_CASSANDRA_CONTACT_POINTS'],
    dataDir: values['data-dir'],
    liveSeconds: liveSeconds === undefined ? undefined : positive('live-seconds', liveSeconds, 0, false),
    exit: values.exit,
    xapi: values.xapi,
    help: values.help,
  };
}
