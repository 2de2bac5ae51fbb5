/**
 * The soak's traffic, in a process of its own (so the soak's process holds only the pipeline, and the
 * generator runs on the other core): the generator's university through [start, end) with its daily
 * rhythm and faults, each item as the request Knative would deliver and the time it arrives live (its
 * event time, or for a late event the time of the events around it). One JSON line per request on stdout:
 * `{"t": arrival ms, "h": headers, "b": body}`.
 *
 * `node --import tsx scripts/bench/soak/traffic.ts <seed> <students> <start ms> <end ms> <time zone>`
 */
import { once } from 'node:events';
import { createUniversity, type GeneratedItem, injectFaults, simulate } from '@ula/tools/generator/index';
import { requestOf } from '../../demo/events.ts';

const [seed = 'soak', students = '3000', start = '0', end = '0', timeZone = 'Asia/Ho_Chi_Minh'] =
  process.argv.slice(2);
const university = createUniversity({ seed, students: Number(students) });
const items = injectFaults(
  simulate(university, { start: Number(start), end: Number(end), timeZone }),
  { lateRate: 0.01, duplicateRate: 0.002, malformedRate: 0.001 },
  seed,
);
let arrival = Number(start);
let chunk = '';
for (const item of items as Iterable<GeneratedItem>) {
  const time = item.kind === 'event' ? Date.parse(item.event.time) : Number.NaN;
  if (time > arrival) arrival = time;
  const { headers, body } = requestOf(item);
  chunk += `${JSON.stringify({ t: arrival, h: headers, b: body.toString('utf8') })}\n`;
  if (chunk.length > 1 << 16) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    chunk = '';
  }
}
process.stdout.write(chunk);
