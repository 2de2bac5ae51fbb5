/**
 * Environment variables of the tools around the functions (stack, deploy, Airflow DAGs, benchmarks, demo,
 * tests), declared like the functions' own in functions/core/src/settings.ts so the README's single
 * configuration table lists them too. These are documentation: the tools read them where they run (shell,
 * Python, test files).
 */
import { kinds, type Setting } from '../../functions/core/src/settings.ts';

const tool = (s: Omit<Setting<string | undefined>, 'kind' | 'fallback'> & { shown?: string }) =>
  ({ ...s, kind: kinds.text, fallback: undefined }) as Setting<string | undefined>;

const dags = ['Airflow DAGs'];

export const toolSettings: readonly Setting<unknown>[] = [
  tool({
    name: 'ULA_XAPI_USER',
    shown: '—',
    readBy: ['produce --xapi', 'verify'],
    doc: "HTTP Basic user (key) the producer sends statements to the LRS with (`--xapi --sink http`), and verify_deploy.sh's xAPI check",
  }),
  tool({
    name: 'ULA_XAPI_PASSWORD',
    shown: '—',
    readBy: ['produce --xapi', 'verify'],
    doc: 'HTTP Basic password (secret) of `ULA_XAPI_USER`',
  }),
  tool({
    name: 'ULA_NAMESPACE',
    shown: '`ula`',
    readBy: ['deploy', 'verify', 'teardown'],
    doc: 'Kubernetes namespace of the functions and eventing (also filled into the manifests)',
  }),
  tool({
    name: 'ULA_JOBSINK_PATH',
    shown: '`/jobs/batch`',
    readBy: dags,
    doc: 'JobSink path the DAGs post batch requests to (Airflow Variable first; the cluster sets `/<ULA_NAMESPACE>/batch-jobs`)',
  }),
  tool({ name: 'ULA_AIRFLOW_RETRIES', shown: '`3`', readBy: dags, doc: 'retries of each DAG task' }),
  tool({
    name: 'ULA_AIRFLOW_RETRY_DELAY_SECONDS',
    shown: '`60`',
    readBy: dags,
    doc: 'first retry delay (exponential backoff)',
  }),
  tool({
    name: 'ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS',
    shown: '`1800`',
    readBy: dags,
    doc: 'longest retry delay',
  }),
  tool({
    name: 'ULA_AIRFLOW_POKE_INTERVAL_SECONDS',
    shown: '`5`',
    readBy: dags,
    doc: "how often the sensor polls a batch run's status",
  }),
  tool({
    name: 'ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS',
    shown: '`3600`',
    readBy: dags,
    doc: 'a batch run not finished after this fails its task',
  }),
  tool({
    name: 'ULA_AIRFLOW_SENSOR_MODE',
    shown: '`reschedule`',
    readBy: dags,
    doc: 'sensor mode: `reschedule` (frees the worker slot between polls) or `poke`',
  }),
  tool({
    name: 'ULA_AIRFLOW_HTTP_TIMEOUT_SECONDS',
    shown: '`30`',
    readBy: dags,
    doc: 'timeout of each request to the JobSink',
  }),
  tool({
    name: 'ULA_AIRFLOW_HOME',
    shown: '`.stack/airflow`',
    readBy: ['stack', 'Airflow tests'],
    doc: "the local Airflow's home (its SQLite database and logs)",
  }),
  tool({
    name: 'ULA_AIRFLOW_VENV',
    shown: '`.cache/airflow-venv`',
    readBy: ['stack'],
    doc: "virtualenv of the local stack's Airflow",
  }),
  tool({
    name: 'ULA_AIRFLOW_PIP_CACHE',
    shown: '`.cache/pip`',
    readBy: ['stack'],
    doc: "pip cache for installing the local stack's Airflow",
  }),
  tool({
    name: 'ULA_BATCH_TRIGGER_URL',
    readBy: ['Airflow tests'],
    doc: 'run the DAG tests against this batch trigger (e.g. `http://127.0.0.1:8084/jobs/batch`) instead of a stub',
  }),
  tool({
    name: 'ULA_KEEP_STACK',
    readBy: ['npm test'],
    doc: '`1`: `npm test` leaves the local stack running',
  }),
  tool({
    name: 'ULA_BENCH_LANES',
    shown: 'CPU cores (at most one per job)',
    readBy: ['bench'],
    doc: 'job processes the batch benchmark runs side by side ([batch](docs/batch.md))',
  }),
  tool({
    name: 'ULA_DEMO_IN_FLIGHT',
    shown: '`4096`',
    readBy: ['demo'],
    doc: 'events the demo has in flight to ingest at once',
  }),
  tool({
    name: 'ULA_DEMO_TEST_STUDENTS',
    shown: '`300`',
    readBy: ['demo test'],
    doc: 'students of the demo integration test ([demo](docs/demo.md))',
  }),
  tool({
    name: 'ULA_DEMO_TEST_DAYS',
    shown: '`2`',
    readBy: ['demo test'],
    doc: 'days of the demo integration test',
  }),
  tool({
    name: 'ULA_DEMO_README_SCREENSHOT',
    readBy: ['demo test'],
    doc: "`1`: the demo test refreshes the README's dashboard screenshot",
  }),
];
