import { describe, expect, it } from 'vitest';
import { loadBatchSettings, loadTriggerSettings } from '../../batch/src/settings.ts';
import { loadIngestSettings } from '../../ingest/src/settings.ts';
import { loadServingSettings } from '../../serving/src/settings.ts';
import { connect, mergedViewStatements } from '../../serving/src/trino/views.ts';
import { loadSpeedSettings } from '../../speed/src/settings.ts';
import { loadXapiSettings } from '../../xapi/src/settings.ts';
import { defaultRiskThresholds } from '../src/categories/student-course/risk.ts';
import { loadConfig } from '../src/config.ts';
import { installRuntimeHooks, loadRuntimeSettings } from '../src/http/runtime.ts';
import { healthThresholds } from '../src/serving/health.ts';
import {
  allSettings,
  InvalidSettings,
  kinds,
  readSettings,
  type Setting,
  settingGroups,
} from '../src/settings.ts';

/** Every loader a component calls at start, by the groups it reads. */
const loaders: Record<string, (env: NodeJS.ProcessEnv) => unknown> = {
  config: loadConfig,
  health: healthThresholds,
  ingest: loadIngestSettings,
  speed: loadSpeedSettings,
  batch: loadBatchSettings,
  trigger: loadTriggerSettings,
  serving: loadServingSettings,
  runtime: loadRuntimeSettings,
  // xapi refuses to start without credentials and a sink: those lines are not about an invalid value.
  xapi: (env) => {
    try {
      return loadXapiSettings(env);
    } catch (error) {
      if (error instanceof InvalidSettings && error.problems.every((p) => / is unset: /.test(p)))
        return undefined;
      throw error;
    }
  },
};

const problemsOf = (load: () => unknown): readonly string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof InvalidSettings) return error.problems;
    throw error;
  }
  return [];
};

/** A value each kind rejects. */
const invalid = (s: Setting<unknown>): string | undefined => {
  switch (s.kind.expected) {
    case kinds.text.expected:
    case kinds.list.expected:
      return undefined;
    case kinds.flag.expected:
      return 'yes';
    case kinds.url.expected:
      return 'minio:9000';
    case kinds.hostPorts.expected:
      return 'kafka';
    case kinds.timeZone.expected:
      return 'Asia/Hanoi_City';
    default:
      return 'soon';
  }
};

describe('settings: defaults', () => {
  it('are those the components had before the settings module (unset and empty alike)', () => {
    for (const env of [{}, Object.fromEntries(allSettings.map((s) => [s.name, '']))]) {
      expect(loadConfig(env)).toEqual({
        timeZone: 'Asia/Ho_Chi_Minh',
        dataDir: '.data',
        kafka: undefined,
        s3: undefined,
        cassandra: undefined,
        lakeBucket: 'lake',
        keyspace: 'lms_analytics',
        trinoUrl: undefined,
      });
      expect(loadIngestSettings(env)).toEqual({
        maxEvents: 5000,
        lingerMs: 3000,
        maxAgeMs: 4000,
        maxInFlight: 1,
        idleMs: 2,
        sdkDecoding: false,
        // Personal fields kept nowhere, ids as sent (docs/privacy.md).
        privacy: { pii: 'drop', pseudonymize: undefined },
      });
      const { config: _speedConfig, ...speed } = loadSpeedSettings(env);
      expect(speed).toEqual({
        allowedLatenessSeconds: 600,
        maxFutureSkewSeconds: 60,
        ttlSeconds: 259_200,
        idleMs: 2,
        maxAgeMs: 50,
        maxBatchEvents: 2000,
        maxInFlight: 2,
        recentIds: 100_000,
        writtenMembers: 200_000,
        privacy: { pii: 'drop', pseudonymize: undefined },
      });
      const { config: _batchConfig, ...batch } = loadBatchSettings(env);
      expect(batch).toEqual({
        eventPath: '/etc/jobsink-event',
        runId: undefined,
        lookbackDays: 7,
        stateRetentionDays: 14,
        graceMinutes: 0,
        writeAttempts: 5,
        pushgatewayUrl: undefined,
        compactionLatenessMinutes: 10,
        retentionRawDays: 1826,
        retentionPiiDays: 365,
        // The at-risk rules' defaults are declared once, beside the rules.
        risk: defaultRiskThresholds,
      });
      expect(loadTriggerSettings(env)).toMatchObject({ port: 8084, host: '127.0.0.1' });
      const { config: _servingConfig, ...serving } = loadServingSettings(env);
      expect(serving).toEqual({
        thresholds: {
          speedStaleSeconds: 300,
          speedDownSeconds: 900,
          batchStaleHours: 30,
          batchDownHours: 54,
        },
        apiTokens: [],
        corsOrigins: [],
        apiCacheMs: 1000,
        pii: 'drop',
      });
      const required = {
        ULA_XAPI_CREDENTIALS: 'lms:pw:statements/write',
        ULA_XAPI_SINK: 'kafka',
        ULA_KAFKA_BROKERS: 'k:9092',
      };
      const { config: _xapiConfig, ...xapi } = loadXapiSettings({ ...env, ...required });
      expect(xapi).toEqual({
        credentials: [{ key: 'lms', secret: 'pw', scopes: ['statements/write'] }],
        maxBodyBytes: 4_194_304,
        sink: { kind: 'kafka', connection: { brokers: ['k:9092'] } },
        mapping: { homePage: 'https://lms.example.edu', defaultRole: 'student' },
        groupCommit: { maxRequests: 1000, lingerMs: 1000, maxAgeMs: 2000 },
      });
    }
  });

  it('xapi: refuses to start without credentials (unless ULA_XAPI_AUTH=none) or without a sink and its target', () => {
    const problems = (env: NodeJS.ProcessEnv) => problemsOf(() => loadXapiSettings(env));
    expect(problems({ ULA_XAPI_SINK: 'http', ULA_XAPI_SINK_URL: 'http://s/{category}' })).toEqual([
      expect.stringMatching(/^ULA_XAPI_CREDENTIALS is unset/),
    ]);
    expect(problems({ ULA_XAPI_AUTH: 'none' })).toEqual([expect.stringMatching(/^ULA_XAPI_SINK is unset/)]);
    expect(problems({ ULA_XAPI_AUTH: 'none', ULA_XAPI_SINK: 'http' })).toEqual([
      expect.stringMatching(/needs ULA_XAPI_SINK_URL/),
    ]);
    expect(problems({ ULA_XAPI_AUTH: 'none', ULA_XAPI_SINK: 'kafka' })).toEqual([
      expect.stringMatching(/needs ULA_KAFKA_BROKERS/),
    ]);
    expect(
      loadXapiSettings({
        ULA_XAPI_AUTH: 'none',
        ULA_XAPI_SINK: 'http',
        ULA_XAPI_SINK_URL: 'http://s/{category}',
      }),
    ).toMatchObject({ credentials: undefined, sink: { kind: 'http', urlTemplate: 'http://s/{category}' } });
    expect(problems({ ULA_XAPI_CREDENTIALS: 'lms:pw' })).toEqual([
      expect.stringMatching(
        /^ULA_XAPI_CREDENTIALS="lms:pw": expected a comma-separated list of key:secret:scope/,
      ),
    ]);
  });

  it('reads the values the deploy manifests set', () => {
    const config = loadConfig({
      ULA_S3_ENDPOINT: 'http://minio.minio.svc.cluster.local:9000',
      ULA_KAFKA_BROKERS: 'a:9092, b:9093',
      ULA_CASSANDRA_CONTACT_POINTS: 'cassandra.cassandra.svc:9042,10.0.0.2',
      ULA_CASSANDRA_LOCAL_DC: 'dc2',
      ULA_CASSANDRA_USERNAME: 'ula',
      ULA_CASSANDRA_PASSWORD: 'secret',
      ULA_TRINO_URL: 'http://trino.trino.svc.cluster.local:8080',
      ULA_TIMEZONE: 'UTC',
    });
    expect(config).toMatchObject({
      timeZone: 'UTC',
      kafka: { brokers: ['a:9092', 'b:9093'] },
      s3: { endpoint: 'http://minio.minio.svc.cluster.local:9000', bucket: 'lake', region: 'us-east-1' },
      cassandra: {
        contactPoints: ['cassandra.cassandra.svc:9042', '10.0.0.2'],
        localDataCenter: 'dc2',
        keyspace: 'lms_analytics',
        username: 'ula',
        password: 'secret',
      },
      trinoUrl: 'http://trino.trino.svc.cluster.local:8080',
    });
    expect(loadIngestSettings({ ULA_INGEST_LINGER_MS: '6000', ULA_INGEST_SDK_DECODING: '1' })).toMatchObject({
      lingerMs: 6000,
      maxAgeMs: 6000,
      sdkDecoding: true,
    });
    expect(loadBatchSettings({ ULA_BATCH_LOOKBACK_DAYS: '3' }).stateRetentionDays).toBe(6);
    expect(
      loadBatchSettings({ ULA_RISK_INACTIVE_DAYS: '10', ULA_RISK_QUIZ_DROP_POINTS_PER_WEEK: '7.5' }).risk,
    ).toEqual({ ...defaultRiskThresholds, inactiveDays: 10, quizDropPointsPerWeek: 7.5 });
    expect(
      loadBatchSettings({ ULA_BATCH_LOOKBACK_DAYS: '3', ULA_BATCH_STATE_RETENTION_DAYS: '30' })
        .stateRetentionDays,
    ).toBe(30);
    // Raw files must outlive the batch's look-back (retention after the day is computed); 0 keeps forever.
    expect(loadBatchSettings({ ULA_RETENTION_RAW_DAYS: '0' }).retentionRawDays).toBe(0);
    expect(loadBatchSettings({ ULA_RETENTION_RAW_DAYS: '9' }).retentionRawDays).toBe(9);
    expect(problemsOf(() => loadBatchSettings({ ULA_RETENTION_RAW_DAYS: '8' }))).toEqual([
      expect.stringMatching(
        /^ULA_RETENTION_RAW_DAYS=8: must be 0 \(keep forever\) or more than ULA_BATCH_LOOKBACK_DAYS \+ 1 \(8\)/,
      ),
    ]);
    expect(
      loadServingSettings({ ULA_CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins,
    ).toEqual(['https://a.example', 'https://b.example']);
  });
});

describe('settings: validation at start', () => {
  const checkable = allSettings.filter((s) => invalid(s) !== undefined);

  it.each(checkable.map((s) => [s.name, s] as const))(
    '%s: an invalid value stops every loader that reads it, naming the variable and the expected form',
    (name, s) => {
      const bad = invalid(s) as string;
      const failing = Object.entries(loaders).filter(
        ([, load]) => problemsOf(() => load({ [name]: bad })).length > 0,
      );
      expect(failing.length, `no loader rejects ${name}=${bad}`).toBeGreaterThan(0);
      for (const [, load] of failing) {
        const [problem, ...others] = problemsOf(() => load({ [name]: bad }));
        expect(others).toEqual([]);
        expect(problem).toContain(`${name}="${bad}"`);
        expect(problem).toContain(`expected ${s.kind.expected}`);
      }
    },
  );

  it('reports every invalid variable at once, one line each', () => {
    const error = (() => {
      try {
        loadBatchSettings({
          ULA_BATCH_LOOKBACK_DAYS: 'a week',
          ULA_BATCH_WRITE_ATTEMPTS: '0',
          ULA_TIMEZONE: 'Saigon',
          ULA_S3_ENDPOINT: 'minio:9000',
        });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidSettings);
    expect(error?.message.split('\n')).toEqual([
      'invalid configuration (environment):',
      expect.stringMatching(/^ {2}ULA_TIMEZONE="Saigon": expected an IANA time zone/),
      expect.stringMatching(/^ {2}ULA_S3_ENDPOINT="minio:9000": expected an http\(s\) URL/),
      expect.stringMatching(/^ {2}ULA_BATCH_LOOKBACK_DAYS="a week": expected an integer >= 0 .*default 7\)$/),
      expect.stringMatching(/^ {2}ULA_BATCH_WRITE_ATTEMPTS="0": expected an integer >= 1 /),
    ]);
  });

  it('keeps the rules across variables', () => {
    expect(() => loadIngestSettings({ ULA_INGEST_LINGER_MS: '5000', ULA_INGEST_MAX_AGE_MS: '4000' })).toThrow(
      'ULA_INGEST_MAX_AGE_MS (4000) must be at least ULA_INGEST_LINGER_MS (5000)',
    );
  });

  it('rejects the retired ULA_CASSANDRA_DC, naming ULA_CASSANDRA_LOCAL_DC', () => {
    for (const load of [loadConfig, loadSpeedSettings, loadServingSettings, loadBatchSettings])
      expect(() => load({ ULA_CASSANDRA_DC: 'dc1' })).toThrow(
        'ULA_CASSANDRA_DC is no longer read: set ULA_CASSANDRA_LOCAL_DC instead',
      );
  });

  it('accepts what the kinds promise', () => {
    const read = (kind: Setting<unknown>['kind'], raw: string) =>
      readSettings({ X: raw }, { x: { name: 'X', kind, fallback: undefined, readBy: [], doc: 'x' } }).x;
    expect(read(kinds.integer(0), ' 42 ')).toBe(42);
    expect(() => read(kinds.integer(0), '1.5')).toThrow(InvalidSettings);
    expect(() => read(kinds.integer(0), '-1')).toThrow(InvalidSettings);
    expect(read(kinds.integer(0, 65_535), '65535')).toBe(65_535);
    expect(() => read(kinds.integer(0, 65_535), '65536')).toThrow(/expected an integer from 0 to 65535/);
    expect(read(kinds.number(false), '0.5')).toBe(0.5);
    expect(read(kinds.number(false), '0')).toBe(0);
    expect(() => read(kinds.number(true), '0')).toThrow(/positive number/);
    expect(read(kinds.flag, '0')).toBe(false);
    expect(read(kinds.hostPorts, '127.0.0.1:9092,kafka-0.kafka:9092')).toEqual([
      '127.0.0.1:9092',
      'kafka-0.kafka:9092',
    ]);
    expect(read(kinds.url, 'http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
    expect(read(kinds.timeZone, 'UTC')).toBe('UTC');
  });
});

describe('settings: declarations', () => {
  it('declare each variable once', () => {
    const names = allSettings.map((s) => s.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('are each read by a loader (the AWS SDK reads its own)', () => {
    const seen = new Set<string | symbol>();
    const env = new Proxy({} as NodeJS.ProcessEnv, {
      get: (_t, key) => {
        seen.add(key);
        return undefined;
      },
    });
    for (const load of Object.values(loaders)) load(env);
    // The runtime hooks and the Trino views CLI read process.env when they run.
    const real = process.env;
    process.env = new Proxy(real, {
      get: (target, key) => {
        seen.add(key);
        return Reflect.get(target, key);
      },
    });
    try {
      installRuntimeHooks()();
      mergedViewStatements();
      connect();
    } finally {
      process.env = real;
    }
    const unread = allSettings
      .map((s) => s.name)
      .filter((name) => !seen.has(name))
      .filter((name) => !Object.values(settingGroups.external).some((s) => s.name === name));
    expect(unread).toEqual([]);
  });
});
