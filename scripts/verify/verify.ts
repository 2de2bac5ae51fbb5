// Post-deploy verification (scripts/verify_deploy.sh runs this; the checks are in checks.ts).
//   tsx scripts/verify/verify.ts --local [options]         start the functions on the local stack, then check
//   tsx scripts/verify/verify.ts --kafka H:P --trino URL --serving URL --token T --jobsink URL [options]
//     (Trino credentials: ULA_TRINO_USER, ULA_TRINO_PASSWORD, ULA_TRINO_CA_FILE)
// Options: --s3 URL (lake endpoint; bucket ULA_S3_BUCKET or lake; credentials AWS_ACCESS_KEY_ID/SECRET),
//   --serving-host HOST (Host header for the API, e.g. Kourier), --keyspace KS (lms_analytics),
//   --timezone TZ (ULA_TIMEZONE or Asia/Ho_Chi_Minh), --batch-job JOB (all), --batch-date YYYY-MM-DD
//   (default yesterday, local), --timeout SECONDS (per wait; 60), --topic NAME (produce there instead of the
//   category topic: a way to see the checks fail), --xapi URL (the LRS <base>, …/xapi: the xAPI checks run;
//   credentials ULA_XAPI_USER / ULA_XAPI_PASSWORD), --xapi-host HOST (its Host header, e.g. Kourier).
import { parseArgs } from 'node:util';
import { trinoAccess } from '../../functions/core/src/lake/trino-access.ts';
import { stackTrinoAccess } from '../stack/trino-credentials.ts';
import { type Endpoints, runChecks } from './checks.ts';
import { startLocalDeployment } from './local.ts';

const { values } = parseArgs({
  options: {
    local: { type: 'boolean', default: false },
    kafka: { type: 'string' },
    trino: { type: 'string' },
    serving: { type: 'string' },
    'serving-host': { type: 'string' },
    token: { type: 'string' },
    jobsink: { type: 'string' },
    s3: { type: 'string' },
    keyspace: { type: 'string' },
    timezone: { type: 'string' },
    'batch-job': { type: 'string', default: 'all' },
    'batch-date': { type: 'string' },
    timeout: { type: 'string', default: '60' },
    topic: { type: 'string' },
    xapi: { type: 'string' },
    'xapi-host': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: see the header of scripts/verify/verify.ts, or scripts/verify_deploy.sh --help');
  process.exit(0);
}

const timeoutMs = Number(values.timeout) * 1000;
if (!(timeoutMs > 0))
  throw new Error(`--timeout must be a positive number of seconds, got ${values.timeout}`);
const t0 = Date.now();
let local: Awaited<ReturnType<typeof startLocalDeployment>> | undefined;
let ok = false;
try {
  if (values.local) {
    local = await startLocalDeployment();
    console.log(`local: started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const env = { ...process.env, ...local?.env };
  const need = (value: string | undefined, flag: string) => {
    if (!value) throw new Error(`${flag} is required (or --local)`);
    return value;
  };
  const s3 = values.s3 ?? (local ? local.env['ULA_S3_ENDPOINT'] : undefined);
  const endpoints: Endpoints = {
    kafkaBrokers: need(values.kafka ?? (local ? env['ULA_KAFKA_BROKERS'] : undefined), '--kafka').split(','),
    topic: values.topic,
    // --trino URL: as ULA_TRINO_USER with ULA_TRINO_PASSWORD (and ULA_TRINO_CA_FILE); --local: the stack's analyst.
    trino: values.trino
      ? { ...trinoAccess(process.env), server: values.trino }
      : local
        ? stackTrinoAccess('ula_analyst')
        : { ...trinoAccess(process.env), server: need(undefined, '--trino') },
    servingUrl: need(values.serving ?? local?.servingUrl, '--serving'),
    servingHost: values['serving-host'],
    apiToken: values.token ?? local?.apiToken ?? '',
    jobSinkUrl: need(values.jobsink ?? local?.triggerUrl, '--jobsink'),
    s3: s3 ? { endpoint: s3, bucket: env['ULA_S3_BUCKET'] || 'lake' } : undefined,
    keyspace: values.keyspace ?? (env['ULA_CASSANDRA_KEYSPACE'] || 'lms_analytics'),
    timeZone: values.timezone ?? (env['ULA_TIMEZONE'] || 'Asia/Ho_Chi_Minh'),
    batchJob: values['batch-job'],
    batchDate: values['batch-date'],
    timeoutMs,
    xapi: local
      ? local.xapi
      : values.xapi
        ? {
            base: values.xapi,
            host: values['xapi-host'],
            username: need(process.env['ULA_XAPI_USER'], 'ULA_XAPI_USER (with --xapi)'),
            password: need(process.env['ULA_XAPI_PASSWORD'], 'ULA_XAPI_PASSWORD (with --xapi)'),
          }
        : undefined,
  };
  ok = await runChecks(endpoints);
} catch (error) {
  console.log(`FAIL setup: ${(error as Error).message}`);
} finally {
  await local?.stop();
}
console.log(`verify: ${ok ? 'PASSED' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(ok ? 0 : 1);
