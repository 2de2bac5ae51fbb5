/**
 * Every environment variable the deployed components read, declared once: its name, parser, default, the
 * components that read it and one line of documentation. The loaders (`loadConfig`, `healthThresholds`, each
 * function's settings.ts, the batch job and trigger, the Trino views CLI, scripts/stack/apply-schema.mjs)
 * read through `readSettings`, which checks every value at start and names the variable and the form it
 * expects when one is wrong. The README's configuration table is generated from these declarations and the
 * tools' (scripts/config/tool-settings.ts): `node scripts/toolchain.mjs tsx scripts/config/settings-table.ts --write`.
 *
 * Rules common to every variable: unset and empty mean the default; values are trimmed.
 * (Plain TypeScript without enums or parameter properties: apply-schema.mjs imports this file with Node's
 * type stripping.)
 */
import { z } from 'zod';
import { defaultRiskThresholds as riskDefaults } from './categories/student-course/risk.ts';

/** What reads a variable (the table's "Read by" column). */
export type Component =
  | 'ingest'
  | 'xapi'
  | 'speed'
  | 'batch'
  | 'serving'
  | 'batch trigger'
  | 'Trino views CLI'
  | 'apply-schema'
  | (string & {});

/** How a variable's text becomes a value: a zod schema over the raw string, and the form it expects. */
export interface Kind<T> {
  /** The expected form, for messages and the table ("an integer >= 0"). */
  readonly expected: string;
  readonly schema: z.ZodType<T, string>;
}

export interface Setting<T> {
  readonly name: string;
  readonly kind: Kind<T>;
  /** The value when the variable is unset or empty. */
  readonly fallback: T;
  /** The default as the table shows it, when `fallback` alone does not say it (e.g. "2 × ULA_BATCH_LOOKBACK_DAYS"). */
  readonly shown?: string;
  readonly readBy: readonly Component[];
  /** One line for the README's table (Markdown). */
  readonly doc: string;
  /** A former name of the same setting: start fails while it is set, naming this variable instead. */
  readonly replaces?: string;
}

/** The value type a declaration parses to. */
export type ValueOf<S> = S extends Setting<infer T> ? T : never;

const kind = <T>(expected: string, schema: z.ZodType<T, string>): Kind<T> => ({ expected, schema });
const trimmed = z.string().trim();

export const kinds = {
  text: kind('any text', trimmed) as Kind<string>,
  integer: (min: number, max = Number.MAX_SAFE_INTEGER): Kind<number> =>
    kind(
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
      trimmed
        .regex(/^[+-]?\d+$/)
        .transform(Number)
        .pipe(z.number().int().min(min).max(max)),
    ),
  /** A decimal number; `positive` excludes 0. */
  number: (positive: boolean): Kind<number> =>
    kind(
      positive ? 'a positive number' : 'a non-negative number',
      trimmed
        .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/)
        .transform(Number)
        .pipe(positive ? z.number().positive() : z.number().nonnegative()),
    ),
  list: kind(
    'a comma-separated list',
    trimmed.transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    ),
  ) as Kind<string[]>,
  /** `host:port,host:port`. */
  hostPorts: kind(
    'a comma-separated list of host:port',
    trimmed
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x.length > 0),
      )
      .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/))),
  ) as Kind<string[]>,
  url: kind('an http(s) URL', trimmed.pipe(z.url({ protocol: /^https?$/ }))) as Kind<string>,
  flag: kind(
    '0 or 1',
    trimmed.pipe(z.enum(['0', '1'])).transform((s) => s === '1'),
  ) as Kind<boolean>,
  timeZone: kind(
    'an IANA time zone (e.g. Asia/Ho_Chi_Minh, UTC)',
    trimmed.refine((s) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: s });
        return true;
      } catch {
        return false;
      }
    }),
  ) as Kind<string>,
} as const;

const setting = <T>(s: Setting<T>): Setting<T> => s;
const optionalText = (s: Omit<Setting<string | undefined>, 'kind' | 'fallback'>) =>
  setting<string | undefined>({ ...s, kind: kinds.text, fallback: undefined });

const lakeUsers: Component[] = ['ingest', 'batch', 'xapi'];
const kafkaUsers: Component[] = ['xapi', 'tools (demo, produce, dispatcher, verify)'];

/** The SASL mechanisms the Kafka clients (kafkajs, the generator's producer) speak. */
export type KafkaSaslMechanism = 'scram-sha-512' | 'scram-sha-256' | 'plain';

const viewUsers: Component[] = ['speed', 'batch', 'serving', 'batch trigger', 'xapi'];

/** The settings several components share (the adapters' `Config`, see config.ts). */
export const shared = {
  timeZone: setting({
    name: 'ULA_TIMEZONE',
    kind: kinds.timeZone,
    fallback: 'Asia/Ho_Chi_Minh',
    readBy: ['speed', 'batch', 'serving', 'Trino views CLI'],
    doc: 'analytics time zone for calendar buckets (instants are UTC everywhere)',
  }),
  dataDir: setting({
    name: 'ULA_DATA_DIR',
    kind: kinds.text,
    fallback: '.data',
    readBy: ['ingest', 'speed', 'batch', 'serving', 'batch trigger', 'xapi'],
    doc: 'embedded lake directory and SQLite file',
  }),
  kafkaBrokers: setting({
    name: 'ULA_KAFKA_BROKERS',
    kind: kinds.hostPorts,
    fallback: [] as string[],
    readBy: kafkaUsers,
    doc: 'Kafka bootstrap list (`host:port,…`)',
  }),
  kafkaSaslMechanism: setting<KafkaSaslMechanism | undefined>({
    name: 'ULA_KAFKA_SASL_MECHANISM',
    kind: kind(
      'scram-sha-512, scram-sha-256 or plain',
      trimmed.toLowerCase().pipe(z.enum(['scram-sha-512', 'scram-sha-256', 'plain'])),
    ) as Kind<KafkaSaslMechanism | undefined>,
    fallback: undefined,
    shown: '— (no SASL)',
    readBy: kafkaUsers,
    doc: 'SASL mechanism of the Kafka clients (the deploy: `scram-sha-512`, with `ULA_KAFKA_USERNAME` and `ULA_KAFKA_PASSWORD`)',
  }),
  kafkaUsername: optionalText({
    name: 'ULA_KAFKA_USERNAME',
    readBy: kafkaUsers,
    doc: 'Kafka SASL user (the deploy: the KafkaUser, from a Secret)',
  }),
  kafkaPassword: optionalText({
    name: 'ULA_KAFKA_PASSWORD',
    readBy: kafkaUsers,
    doc: 'Kafka SASL password (a Secret in the cluster)',
  }),
  kafkaTls: setting({
    name: 'ULA_KAFKA_TLS',
    kind: kinds.flag,
    fallback: false,
    shown: '0 (1 when `ULA_KAFKA_CA_FILE` is set)',
    readBy: kafkaUsers,
    doc: '`1`: Kafka connections use TLS, the server checked against the system CAs or `ULA_KAFKA_CA_FILE`',
  }),
  kafkaCaFile: optionalText({
    name: 'ULA_KAFKA_CA_FILE',
    readBy: kafkaUsers,
    doc: "PEM file of the CA the Kafka brokers' certificates are checked against; turns TLS on (the deploy: the Strimzi cluster CA, mounted from a Secret)",
  }),
  s3Endpoint: setting<string | undefined>({
    name: 'ULA_S3_ENDPOINT',
    kind: kinds.url,
    fallback: undefined,
    shown: '— (local directory)',
    readBy: lakeUsers,
    doc: 'S3 endpoint of the lake; unset: the lake is the folder `<ULA_DATA_DIR>/<ULA_S3_BUCKET>`',
  }),
  s3Bucket: setting({
    name: 'ULA_S3_BUCKET',
    kind: kinds.text,
    fallback: 'lake',
    readBy: lakeUsers,
    doc: 'lake bucket (also the local lake folder name)',
  }),
  s3Region: setting({
    name: 'ULA_S3_REGION',
    kind: kinds.text,
    fallback: 'us-east-1',
    readBy: lakeUsers,
    doc: 'S3 region',
  }),
  cassandraContactPoints: setting({
    name: 'ULA_CASSANDRA_CONTACT_POINTS',
    kind: kinds.list,
    fallback: [] as string[],
    shown: '— (SQLite)',
    readBy: [...viewUsers, 'apply-schema'],
    doc: 'Cassandra contact points (`host[:port],…`); unset: views in SQLite (apply-schema: `127.0.0.1`)',
  }),
  cassandraLocalDc: setting({
    name: 'ULA_CASSANDRA_LOCAL_DC',
    kind: kinds.text,
    fallback: 'datacenter1',
    readBy: [...viewUsers, 'apply-schema'],
    doc: 'Cassandra local data centre',
    replaces: 'ULA_CASSANDRA_DC',
  }),
  cassandraKeyspace: setting({
    name: 'ULA_CASSANDRA_KEYSPACE',
    kind: kinds.text,
    fallback: 'lms_analytics',
    readBy: [...viewUsers, 'Trino views CLI'],
    doc: 'keyspace of the views',
  }),
  cassandraUsername: optionalText({
    name: 'ULA_CASSANDRA_USERNAME',
    readBy: viewUsers,
    doc: 'Cassandra user (a Secret in the cluster)',
  }),
  cassandraPassword: optionalText({
    name: 'ULA_CASSANDRA_PASSWORD',
    readBy: viewUsers,
    doc: 'Cassandra password (a Secret in the cluster)',
  }),
  trinoUrl: setting<string | undefined>({
    name: 'ULA_TRINO_URL',
    kind: kinds.url,
    fallback: undefined,
    readBy: ['Trino views CLI', 'tools'],
    doc: "Trino coordinator (`https://127.0.0.1:8443`, the local stack's, when unset)",
  }),
} as const;

/** Read by libraries, not by the project's code; listed so the table has every variable. */
export const external = {
  awsAccessKeyId: optionalText({
    name: 'AWS_ACCESS_KEY_ID',
    readBy: lakeUsers,
    doc: 'S3 access key, read by the AWS SDK (a Secret in the cluster)',
  }),
  awsSecretAccessKey: optionalText({
    name: 'AWS_SECRET_ACCESS_KEY',
    readBy: lakeUsers,
    doc: 'S3 secret key, read by the AWS SDK (a Secret in the cluster)',
  }),
} as const;

export const runtime = {
  bodyLimit: setting({
    name: 'FUNC_BODY_LIMIT',
    kind: kinds.integer(1),
    fallback: 1_048_576,
    readBy: ['ingest', 'speed', 'serving'],
    doc: "largest request body (bytes) faas-js-runtime accepts; larger ones are answered 413 (the runtime's variable)",
  }),
  metricsPath: setting({
    name: 'METRICS_URL',
    kind: kinds.text,
    fallback: '/metrics',
    readBy: ['ingest', 'speed', 'serving', 'xapi'],
    doc: "path of the function runtime's Prometheus endpoint (faas-js-runtime's variable)",
  }),
} as const;

export const ingest = {
  maxEvents: setting({
    name: 'ULA_INGEST_MAX_EVENTS',
    kind: kinds.integer(1),
    fallback: 5000,
    readBy: ['ingest'],
    doc: 'group commit: a batch is written once it holds this many events',
  }),
  lingerMs: setting({
    name: 'ULA_INGEST_LINGER_MS',
    kind: kinds.integer(0),
    fallback: 3000,
    readBy: ['ingest'],
    doc: 'under low load a batch waits this long for more events (linger; `0` turns it off; [ingest](docs/ingest.md#group-commit-and-the-linger))',
  }),
  maxAgeMs: setting<number | undefined>({
    name: 'ULA_INGEST_MAX_AGE_MS',
    kind: kinds.integer(0),
    fallback: undefined,
    shown: '`4000` (at least `ULA_INGEST_LINGER_MS`)',
    readBy: ['ingest'],
    doc: 'group commit: a batch is written when its oldest event is this old, even while a write runs; must be >= `ULA_INGEST_LINGER_MS`',
  }),
  maxInFlight: setting({
    name: 'ULA_INGEST_MAX_INFLIGHT',
    kind: kinds.integer(1),
    fallback: 1,
    readBy: ['ingest'],
    doc: 'group commit: concurrent lake writes started by the quiet and linger rules',
  }),
  idleMs: setting({
    name: 'ULA_INGEST_IDLE_MS',
    kind: kinds.integer(0),
    fallback: 2,
    readBy: ['ingest'],
    doc: 'group commit: the shortest silence (ms) that closes a batch (the quiet rule)',
  }),
  sdkDecoding: setting({
    name: 'ULA_INGEST_SDK_DECODING',
    kind: kinds.flag,
    fallback: false,
    shown: '`0`',
    readBy: ['ingest'],
    doc: "`1`: decode requests with the runtime's CloudEvents SDK (slower; for comparison)",
  }),
} as const;

const nonNegative = kinds.number(false);
export const speed = {
  allowedLatenessSeconds: setting({
    name: 'ULA_SPEED_ALLOWED_LATENESS_SECONDS',
    kind: nonNegative,
    fallback: 600,
    readBy: ['speed'],
    doc: "a window accepts events until its end + this (seconds on the function's clock)",
  }),
  maxFutureSkewSeconds: setting({
    name: 'ULA_SPEED_MAX_FUTURE_SKEW_SECONDS',
    kind: nonNegative,
    fallback: 60,
    readBy: ['speed'],
    doc: 'events stamped further ahead of the clock are rejected (4xx)',
  }),
  ttlSeconds: setting({
    name: 'ULA_SPEED_TTL_SECONDS',
    kind: nonNegative,
    fallback: 259_200,
    readBy: ['speed'],
    doc: 'time-to-live of speed rows; the daily batch must cover a day before its rows expire',
  }),
  idleMs: setting({
    name: 'ULA_SPEED_IDLE_MS',
    kind: nonNegative,
    fallback: 2,
    readBy: ['speed'],
    doc: 'group commit: a batch is written once no event arrived for this long (and a write slot is free)',
  }),
  maxAgeMs: setting({
    name: 'ULA_SPEED_MAX_AGE_MS',
    kind: nonNegative,
    fallback: 50,
    readBy: ['speed'],
    doc: 'group commit: a batch is written at the latest when its oldest event is this old',
  }),
  maxBatchEvents: setting({
    name: 'ULA_SPEED_MAX_BATCH_EVENTS',
    kind: nonNegative,
    fallback: 2000,
    readBy: ['speed'],
    doc: 'group commit: a batch is written at once when it holds this many events',
  }),
  maxInFlight: setting({
    name: 'ULA_SPEED_MAX_IN_FLIGHT',
    kind: nonNegative,
    fallback: 2,
    readBy: ['speed'],
    doc: 'group commit: writes the quiet rule starts at once (meanwhile the next batch grows)',
  }),
  recentIds: setting({
    name: 'ULA_SPEED_RECENT_IDS',
    kind: nonNegative,
    fallback: 100_000,
    readBy: ['speed'],
    doc: 'event ids remembered to spot redeliveries (`0` disables)',
  }),
  writtenMembers: setting({
    name: 'ULA_SPEED_WRITTEN_MEMBERS',
    kind: nonNegative,
    fallback: 200_000,
    readBy: ['speed'],
    doc: 'distinct-count facts remembered as stored, not to rewrite them (`0` disables)',
  }),
} as const;

export const batch = {
  eventPath: setting({
    name: 'K_EVENT_PATH',
    kind: kinds.text,
    fallback: '/etc/jobsink-event',
    readBy: ['batch'],
    doc: 'folder of the JobSink event file `event` (set by JobSink and by the batch trigger)',
  }),
  runId: optionalText({
    name: 'ULA_BATCH_RUN_ID',
    readBy: ['batch'],
    doc: "the run's id (set by the batch trigger); unset: derived from the event's source and id, or `batch-cli-…`",
  }),
  lookbackDays: setting({
    name: 'ULA_BATCH_LOOKBACK_DAYS',
    kind: kinds.integer(0),
    fallback: 7,
    readBy: ['batch'],
    doc: 'days before `from` checked for late events: a day whose raw files changed is recomputed ([batch](docs/batch.md))',
  }),
  stateRetentionDays: setting<number | undefined>({
    name: 'ULA_BATCH_STATE_RETENTION_DAYS',
    kind: kinds.integer(0),
    fallback: undefined,
    shown: '2 × `ULA_BATCH_LOOKBACK_DAYS`',
    readBy: ['batch'],
    doc: 'days (before the last computed) whose partial states all-time views keep, so a changed day can be recomputed incrementally (an older changed day fails the run)',
  }),
  graceMinutes: setting({
    name: 'ULA_BATCH_GRACE_MINUTES',
    kind: nonNegative,
    fallback: 0,
    readBy: ['batch'],
    doc: 'wait after local midnight (`ULA_TIMEZONE`) before a day counts as complete',
  }),
  writeAttempts: setting({
    name: 'ULA_BATCH_WRITE_ATTEMPTS',
    kind: kinds.integer(1),
    fallback: 5,
    readBy: ['batch'],
    doc: 'view-store attempts per statement (transient errors are retried with backoff)',
  }),
  pushgatewayUrl: setting<string | undefined>({
    name: 'ULA_PUSHGATEWAY_URL',
    kind: kinds.url,
    fallback: undefined,
    readBy: ['batch'],
    doc: "Prometheus Pushgateway the batch job pushes its run's metrics to; unset: nothing is pushed",
  }),
  compactionLatenessMinutes: setting({
    name: 'ULA_COMPACTION_LATENESS_MINUTES',
    kind: nonNegative,
    fallback: 10,
    readBy: ['batch'],
    doc: "`compact`: a UTC hour's lake partition is compacted this long after the hour's end ([batch](docs/batch.md#lake-compaction))",
  }),
  retentionRawDays: setting({
    name: 'ULA_RETENTION_RAW_DAYS',
    kind: kinds.integer(0),
    fallback: 1826,
    readBy: ['batch'],
    doc: '`retain`: UTC date partitions of the raw lake and the xAPI statement table older than this many days are deleted (views stay); 0: kept forever ([batch](docs/batch.md#retention))',
  }),
  retentionPiiDays: setting({
    name: 'ULA_RETENTION_PII_DAYS',
    kind: kinds.integer(0),
    fallback: 365,
    readBy: ['batch'],
    doc: '`retain`: UTC date partitions of the personal table (`personal/profile/`) and of the dead letters (rejected bodies, kept as received unless JSON) older than this many days are deleted; 0: kept forever ([batch](docs/batch.md#retention))',
  }),
} as const;

/** Thresholds of the at-risk rules of student_course_risk (docs/views.md); defaults in categories/student-course/risk.ts. */
export const risk = {
  inactiveDays: setting({
    name: 'ULA_RISK_INACTIVE_DAYS',
    kind: kinds.integer(1),
    fallback: riskDefaults.inactiveDays,
    readBy: ['batch'],
    doc: 'at-risk rule `inactive`: no own action in the course (or since enrolment) for this many days',
  }),
  quizDropPointsPerWeek: setting({
    name: 'ULA_RISK_QUIZ_DROP_POINTS_PER_WEEK',
    kind: kinds.number(true),
    fallback: riskDefaults.quizDropPointsPerWeek,
    readBy: ['batch'],
    doc: 'at-risk rule `quiz_falling`: quiz percentages falling at least this many points per week (least-squares slope)',
  }),
  quizTrendMinQuizzes: setting({
    name: 'ULA_RISK_QUIZ_TREND_MIN_QUIZZES',
    kind: kinds.integer(2),
    fallback: riskDefaults.quizTrendMinQuizzes,
    readBy: ['batch'],
    doc: 'at-risk rule `quiz_falling`: quizzes needed before a trend counts',
  }),
  lowQuizPercentage: setting({
    name: 'ULA_RISK_LOW_QUIZ_PERCENTAGE',
    kind: kinds.number(false),
    fallback: riskDefaults.lowQuizPercentage,
    readBy: ['batch'],
    doc: 'at-risk rule `low_quiz_score`: mean quiz percentage below this',
  }),
  missedAssignments: setting({
    name: 'ULA_RISK_MISSED_ASSIGNMENTS',
    kind: kinds.integer(1),
    fallback: riskDefaults.missedAssignments,
    readBy: ['batch'],
    doc: 'at-risk rule `missed_assignments`: at least this many assignments opened but never submitted',
  }),
  lateSubmissions: setting({
    name: 'ULA_RISK_LATE_SUBMISSIONS',
    kind: kinds.integer(1),
    fallback: riskDefaults.lateSubmissions,
    readBy: ['batch'],
    doc: 'at-risk rule `late_submissions`: at least this many submissions after their due date',
  }),
  lowVideoCoveragePercentage: setting({
    name: 'ULA_RISK_LOW_VIDEO_COVERAGE_PERCENTAGE',
    kind: kinds.number(false),
    fallback: riskDefaults.lowVideoCoveragePercentage,
    readBy: ['batch'],
    doc: "at-risk rule `low_video_coverage`: share of the course's videos watched below this percentage",
  }),
} as const;

export const trigger = {
  port: setting({
    name: 'ULA_BATCH_TRIGGER_PORT',
    kind: kinds.integer(0, 65_535),
    fallback: 8084,
    readBy: ['batch trigger'],
    doc: 'port of the local JobSink stand-in (`npm run trigger -w functions/batch`)',
  }),
  host: setting({
    name: 'ULA_BATCH_TRIGGER_HOST',
    kind: kinds.text,
    fallback: '127.0.0.1',
    readBy: ['batch trigger'],
    doc: 'address the batch trigger listens on',
  }),
} as const;

export const health = {
  speedStaleSeconds: setting({
    name: 'ULA_HEALTH_SPEED_STALE_SECONDS',
    kind: kinds.number(true),
    fallback: 300,
    readBy: ['serving'],
    doc: 'speed layer `stale` when its newest window with facts is older than this',
  }),
  speedDownSeconds: setting({
    name: 'ULA_HEALTH_SPEED_DOWN_SECONDS',
    kind: kinds.number(true),
    fallback: 900,
    readBy: ['serving'],
    doc: 'speed layer `down` beyond this (or with no window)',
  }),
  batchStaleHours: setting({
    name: 'ULA_HEALTH_BATCH_STALE_HOURS',
    kind: kinds.number(true),
    fallback: 30,
    readBy: ['serving'],
    doc: 'batch layer `stale` when its watermark is older than this (one daily run late)',
  }),
  batchDownHours: setting({
    name: 'ULA_HEALTH_BATCH_DOWN_HOURS',
    kind: kinds.number(true),
    fallback: 54,
    readBy: ['serving'],
    doc: 'batch layer `down` beyond this (two runs missed, or no watermark)',
  }),
} as const;

/** What an API token may do: `read` the analytics and the dashboard, `admin` the operations routes, `privacy` resolve pseudonyms. */
export const apiScopes = ['read', 'admin', 'privacy'] as const;
export type ApiScope = (typeof apiScopes)[number];

/** One bearer token of the serving API: a name for logs and errors, the secret itself, its scopes. */
export interface ApiToken {
  name: string;
  token: string;
  scopes: ApiScope[];
}

const apiTokens = kind(
  'a comma-separated list of name:token:scope+scope (scopes read, admin, privacy; names and tokens unique, tokens of 16 characters or more, no commas or colons)',
  trimmed
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    )
    .pipe(
      z.array(z.string().regex(/^[^:\s]+:[^:\s]{16,}:(read|admin|privacy)(\+(read|admin|privacy))*$/)).min(1),
    )
    .transform((entries) =>
      entries.map((entry): ApiToken => {
        const [name, token, scopes] = entry.split(':') as [string, string, string];
        return { name, token, scopes: [...new Set(scopes.split('+') as ApiScope[])] };
      }),
    )
    .refine(
      (tokens) =>
        new Set(tokens.map((t) => t.name)).size === tokens.length &&
        new Set(tokens.map((t) => t.token)).size === tokens.length,
    ),
) as Kind<ApiToken[] | undefined>;

export const serving = {
  apiTokens: setting<ApiToken[] | undefined>({
    name: 'ULA_API_TOKENS',
    kind: apiTokens,
    fallback: undefined,
    shown: '— (no token: the API is open)',
    readBy: ['serving'],
    doc: "the API's bearer tokens, `name:token:scopes` comma-separated, scopes `+`-separated: `read` (analytics routes, the dashboard), `admin` (operations routes), `privacy` (resolving pseudonyms); a Secret in the cluster. A call without a known token is `401`, one whose token lacks the route's scope `403`",
  }),
  apiToken: optionalText({
    name: 'ULA_API_TOKEN',
    readBy: ['serving'],
    doc: 'one more bearer token, with the scopes `read` and `admin` (never `privacy`), named `ULA_API_TOKEN`: the single token of earlier versions and of local tools',
  }),
  corsOrigins: setting({
    name: 'ULA_CORS_ORIGINS',
    kind: kinds.list,
    fallback: [] as string[],
    readBy: ['serving'],
    doc: 'browser origins allowed to call the API (comma-separated)',
  }),
  apiCacheMs: setting({
    name: 'ULA_API_CACHE_MS',
    kind: kinds.integer(0),
    fallback: 1000,
    readBy: ['serving'],
    doc: 'API answers are cached per path and query this long (`0` disables)',
  }),
} as const;

/** Student privacy (docs/privacy.md): what personal data is kept, and whether user ids are pseudonymised. */
export const privacy = {
  pii: setting<'drop' | 'store'>({
    name: 'ULA_PII',
    kind: kind('drop or store', trimmed.pipe(z.enum(['drop', 'store']))) as Kind<'drop' | 'store'>,
    fallback: 'drop',
    readBy: ['ingest', 'xapi', 'batch', 'serving'],
    doc: "`drop`: the catalogue's personal fields (e-mail, name, birth date, gender, phone) are not written anywhere; `store`: ingest keeps them in the restricted table `personal/profile/` (Trino `lake.personal.profile`), never in the raw lake",
  }),
  pseudonymize: setting<'off' | 'hmac'>({
    name: 'ULA_PSEUDONYMIZE',
    kind: kind('off or hmac', trimmed.pipe(z.enum(['off', 'hmac']))) as Kind<'off' | 'hmac'>,
    fallback: 'off',
    readBy: ['ingest', 'speed', 'xapi', 'batch'],
    doc: '`hmac`: every user id is replaced at ingest, speed and the xAPI endpoint by a keyed HMAC-SHA-256 of it (`ULA_PSEUDONYM_KEY`), so the lake and the views hold pseudonyms only',
  }),
  pseudonymKey: optionalText({
    name: 'ULA_PSEUDONYM_KEY',
    readBy: ['ingest', 'speed', 'xapi', 'batch'],
    doc: 'the HMAC key of `ULA_PSEUDONYMIZE=hmac` (at least 32 characters; a Secret in the cluster). Changing it changes every pseudonym',
  }),
} as const;

/** One HTTP Basic credential of the LRS: the key (user), its secret (password) and its scopes. */
export interface XapiCredential {
  key: string;
  secret: string;
  scopes: string[];
}

const xapiCredentials = kind(
  'a comma-separated list of key:secret:scope+scope (no commas or colons inside key and secret)',
  trimmed
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:[^:\s]+:[a-z/]+(\+[a-z/]+)*$/)).min(1))
    .transform((entries) =>
      entries.map((entry): XapiCredential => {
        const [key, secret, scopes] = entry.split(':') as [string, string, string];
        return { key, secret, scopes: scopes.split('+') };
      }),
    ),
) as Kind<XapiCredential[] | undefined>;

/** The xapi function (the LRS statements resource, docs/xapi.md). */
export const xapi = {
  auth: setting<'basic' | 'none'>({
    name: 'ULA_XAPI_AUTH',
    kind: kind('basic or none', trimmed.pipe(z.enum(['basic', 'none']))) as Kind<'basic' | 'none'>,
    fallback: 'basic',
    readBy: ['xapi'],
    doc: '`basic`: every statements request needs HTTP Basic credentials of `ULA_XAPI_CREDENTIALS` (start fails without them); `none`: no authentication, for local development only',
  }),
  credentials: setting<XapiCredential[] | undefined>({
    name: 'ULA_XAPI_CREDENTIALS',
    kind: xapiCredentials,
    fallback: undefined,
    readBy: ['xapi'],
    doc: "the LRS's Basic credentials, `key:secret:scopes` comma-separated, scopes `+`-separated (`statements/write` or `all` may store statements); a Secret in the cluster",
  }),
  maxBodyBytes: setting({
    name: 'ULA_XAPI_MAX_BODY_BYTES',
    kind: kinds.integer(1),
    fallback: 4_194_304,
    readBy: ['xapi'],
    doc: 'largest statements request body (bytes); larger ones are answered 413',
  }),
  sink: setting<'kafka' | 'http' | undefined>({
    name: 'ULA_XAPI_SINK',
    kind: kind('kafka or http', trimmed.pipe(z.enum(['kafka', 'http']))) as Kind<
      'kafka' | 'http' | undefined
    >,
    fallback: undefined,
    shown: '— (required)',
    readBy: ['xapi'],
    doc: 'where derived events go: `kafka` (the category topics on `ULA_KAFKA_BROKERS`) or `http` (binary CloudEvents POSTed to `ULA_XAPI_SINK_URL`, a KafkaSink per category)',
  }),
  sinkUrl: setting<string | undefined>({
    name: 'ULA_XAPI_SINK_URL',
    kind: kind(
      'an http(s) URL containing {category}',
      trimmed.regex(/^https?:\/\/[^\s]+$/).refine((s) => s.includes('{category}')),
    ) as Kind<string | undefined>,
    fallback: undefined,
    readBy: ['xapi'],
    doc: 'with `ULA_XAPI_SINK=http`: the URL an event is POSTed to, `{category}` replaced by its category',
  }),
  homePage: setting({
    name: 'ULA_XAPI_HOME_PAGE',
    kind: kinds.url,
    fallback: 'https://lms.example.edu',
    readBy: ['xapi'],
    doc: "the LMS's account home page: actors with an account on it keep their account name as user id; every other identity becomes a hashed id",
  }),
  defaultRole: setting<'student' | 'teacher'>({
    name: 'ULA_XAPI_DEFAULT_ROLE',
    kind: kind('student or teacher', trimmed.pipe(z.enum(['student', 'teacher']))) as Kind<
      'student' | 'teacher'
    >,
    fallback: 'student',
    readBy: ['xapi'],
    doc: "role of an actor whose statement does not say it (the catalogue's `role`)",
  }),
  maxRequests: setting({
    name: 'ULA_XAPI_MAX_REQUESTS',
    kind: kinds.integer(1),
    fallback: 1000,
    readBy: ['xapi'],
    doc: 'group commit: a batch of requests is written once it holds this many',
  }),
  lingerMs: setting({
    name: 'ULA_XAPI_LINGER_MS',
    kind: kinds.integer(0),
    fallback: 1000,
    readBy: ['xapi'],
    doc: 'under low load a batch waits this long for more requests (fewer, larger lake files; `0` turns it off)',
  }),
  maxAgeMs: setting({
    name: 'ULA_XAPI_MAX_AGE_MS',
    kind: kinds.integer(0),
    fallback: 2000,
    readBy: ['xapi'],
    doc: 'group commit: a batch is written when its oldest request is this old, even while a write runs',
  }),
} as const;

/** Who a Trino client is (trino/security/group.txt; the local stack writes one .env per user). */
export const trinoViews = {
  user: setting({
    name: 'ULA_TRINO_USER',
    kind: kinds.text,
    fallback: 'ula_admin',
    readBy: ['Trino views CLI', 'tools'],
    doc: 'Trino user (trino/security/group.txt: `ula_admin` creates the lake objects, `ula_serving` the serving views)',
  }),
  password: optionalText({
    name: 'ULA_TRINO_PASSWORD',
    readBy: ['Trino views CLI', 'tools'],
    doc: "that user's Trino password (Trino takes passwords over https only; a Secret in the cluster, `.stack/trino/credentials/<user>.env` locally)",
  }),
  caFile: optionalText({
    name: 'ULA_TRINO_CA_FILE',
    readBy: ['Trino views CLI', 'tools'],
    doc: "PEM file of the CA that signed Trino's https certificate (generated by the local stack and the deploy), trusted instead of the system's CAs",
  }),
} as const;

/** Every declaration of the deployed components, in the table's order. */
export const settingGroups = {
  shared,
  external,
  runtime,
  ingest,
  speed,
  batch,
  risk,
  trigger,
  health,
  serving,
  xapi,
  privacy,
  trinoViews,
};
export const allSettings: readonly Setting<unknown>[] = Object.values(settingGroups).flatMap(
  (group) => Object.values(group) as Setting<unknown>[],
);

/** Start-time validation failed: `problems` has one line per variable, naming it and the expected form. */
export class InvalidSettings extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration (environment):\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidSettings';
    this.problems = problems;
  }
}

const defaultText = (s: Setting<unknown>): string => {
  if (s.shown !== undefined) return s.shown.replace(/`/g, '');
  if (s.fallback === undefined || (Array.isArray(s.fallback) && s.fallback.length === 0)) return 'unset';
  return String(s.fallback);
};

/** A doc line as plain text for a log line: links become their target, code spans lose their backticks. */
const plain = (doc: string) => doc.replace(/\[[^\]]+\]\(([^)]+)\)/g, 'see $1').replace(/`/g, '');

/** One variable's problem, or undefined when its value is valid. */
export function problemOf(env: NodeJS.ProcessEnv, s: Setting<unknown>): string | undefined {
  if (s.replaces !== undefined && env[s.replaces] !== undefined)
    return `${s.replaces} is no longer read: set ${s.name} instead (${plain(s.doc)})`;
  const raw = env[s.name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (s.kind.schema.safeParse(raw).success) return undefined;
  return `${s.name}="${raw}": expected ${s.kind.expected} (${plain(s.doc)}; default ${defaultText(s)})`;
}

/**
 * Reads and checks a group of declarations; every invalid variable is reported at once (InvalidSettings).
 * `check` adds rules across variables: it returns problems for the parsed values.
 */
export function readSettings<G extends Record<string, Setting<unknown>>>(
  env: NodeJS.ProcessEnv,
  group: G,
  check?: (values: { [K in keyof G]: ValueOf<G[K]> }) => readonly string[],
): { [K in keyof G]: ValueOf<G[K]> } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(group)) {
    const problem = problemOf(env, s);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    const raw = env[s.name];
    values[key] = raw === undefined || raw.trim() === '' ? s.fallback : s.kind.schema.parse(raw);
  }
  const typed = values as { [K in keyof G]: ValueOf<G[K]> };
  if (problems.length === 0 && check) problems.push(...check(typed));
  if (problems.length > 0) throw new InvalidSettings(problems);
  return typed;
}

/** Runs several loaders and reports the problems of all of them at once (one InvalidSettings). */
export function readTogether<T extends readonly unknown[]>(...readers: { [K in keyof T]: () => T[K] }): T {
  const problems: string[] = [];
  const values = readers.map((read) => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof InvalidSettings)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  });
  if (problems.length > 0) throw new InvalidSettings(problems);
  return values as unknown as T;
}
