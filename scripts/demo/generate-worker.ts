/**
 * Worker thread of the demo's backfill: runs the (CPU-bound) generator next to the main thread, which
 * runs the functions, and sends the generated items as ready-made CloudEvent requests in batches.
 * Flow control: at most `window` batches outstanding; the main thread sends a credit per batch consumed.
 * With `xapi`, each item becomes the body of one LMS request instead: the JSON array of its xAPI statements
 * (scripts/tools/src/generator/xapi.ts; a malformed record is an invalid statement), headers empty.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createUniversity, injectFaults, simulate } from '@ula/tools/generator/index';
import { xapiStatementsOf } from '@ula/tools/generator/xapi';
import { requestOf } from './events.ts';

export interface GenerateJob {
  seed: string;
  students: number;
  start: number;
  end: number;
  timeZone: string;
  malformedRate: number;
  /** Items already delivered by an earlier run (skipped, not sent). */
  skip: number;
  batchSize: number;
  window: number;
  /** Items as xAPI statement requests (`npm start -- --xapi`), not CloudEvents. */
  xapi: boolean;
}

/** A batch of requests: headers and body text per item. */
export interface GeneratedBatch {
  type: 'batch';
  headers: Record<string, string>[];
  bodies: string[];
  /** Items generated so far (skipped ones included). */
  generated: number;
}

export interface GenerateDone {
  type: 'done';
  generated: number;
}

const port = parentPort;
if (port) {
  const job = workerData as GenerateJob;
  let credits = job.window;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credits++;
    wake?.();
    wake = undefined;
  });
  const university = createUniversity({ seed: job.seed, students: job.students });
  const items = injectFaults(
    simulate(university, { start: job.start, end: job.end, timeZone: job.timeZone }),
    { malformedRate: job.malformedRate },
    job.seed,
  );
  let n = 0;
  let headers: Record<string, string>[] = [];
  let bodies: string[] = [];
  const send = async () => {
    while (credits <= 0) await new Promise<void>((ok) => (wake = ok));
    credits--;
    port.postMessage({ type: 'batch', headers, bodies, generated: n } satisfies GeneratedBatch);
    headers = [];
    bodies = [];
  };
  for (const item of items) {
    n++;
    if (n <= job.skip) continue;
    if (job.xapi) {
      headers.push({});
      bodies.push(JSON.stringify(xapiStatementsOf(item)));
    } else {
      const request = requestOf(item);
      headers.push(request.headers);
      bodies.push(request.body.toString('utf8'));
    }
    if (headers.length >= job.batchSize) await send();
  }
  if (headers.length > 0) await send();
  port.postMessage({ type: 'done', generated: n } satisfies GenerateDone);
  port.close();
}
