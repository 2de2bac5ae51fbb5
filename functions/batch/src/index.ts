/**
 * batch: the batch layer's job entry point. It is shaped like a Knative function folder (func.yaml,
 * package.json, src/index.ts) but runs as a Knative Eventing JobSink Job: the image's command is
 * `node build/index.js`, which reads the batch-request CloudEvent JobSink mounts at
 * `$K_EVENT_PATH/event` (or CLI args `--job <name|all> --from YYYY-MM-DD --to YYYY-MM-DD`), runs it
 * and exits non-zero on any failure. Locally, src/trigger.ts plays JobSink. See docs/batch.md.
 */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
// The Cassandra driver and S3 agents may keep sockets alive: a finished job must end.
setTimeout(() => process.exit(), 200).unref();
