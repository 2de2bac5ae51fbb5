/**
 * The event generator: a simulated university (`createUniversity`) whose users act over time
 * (`backfill` for history, `live` for real time), with optional fault injection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LmsEvent } from '@ula/core/events/envelope';
import { v7 } from 'uuid';
import { DAY, isoTime } from './calendar.ts';
import { type FaultOptions, injectFaults } from './faults.ts';
import type { GeneratedItem } from './output.ts';
import { Random } from './random.ts';
import { type BehaviourOptions, Simulation, toMillis } from './simulation.ts';
import type { University } from './university.ts';

export interface BackfillOptions extends BehaviourOptions, FaultOptions {
  /** Days of history to simulate. */
  days: number;
  /** The instant the history ends at (exclusive). Default: now. */
  end?: number | string | Date;
  /** Stop after this many outputs. */
  limit?: number;
}

/** Good events only, in time order, from `start` to `end`: the simulation without faults. */
export function* simulate(
  university: University,
  options: BehaviourOptions & { start: number | string | Date; end: number | string | Date },
): Generator<LmsEvent> {
  const simulation = new Simulation(university, toMillis(options.start), options);
  yield* simulation.run(toMillis(options.end));
}

/**
 * Simulates `days` of history ending at `end`, as fast as it can: events in time order (except the
 * injected late ones), streaming with memory bounded by the university's size.
 */
export function* backfill(university: University, options: BackfillOptions): Generator<GeneratedItem> {
  if (!(options.days > 0)) throw new Error('backfill: days must be positive');
  const end = toMillis(options.end ?? Date.now());
  const start = end - Math.round(options.days * DAY);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let n = 0;
  if (
    (options.malformedRate ?? 0) === 0 &&
    (options.duplicateRate ?? 0) === 0 &&
    (options.lateRate ?? 0) === 0
  ) {
    // Without faults, straight over the simulation: each nested generator (simulate, injectFaults)
    // would add a resume and a result object per event.
    for (const event of new Simulation(university, start, options).run(end)) {
      if (n++ >= limit) return;
      yield { kind: 'event', event };
    }
    return;
  }
  const items = injectFaults(
    simulate(university, { ...options, start, end }),
    options,
    options.seed ?? university.seed,
  );
  for (const item of items) {
    if (n++ >= limit) return;
    yield item;
  }
}

export interface LiveOptions extends BehaviourOptions, FaultOptions {
  /** Target events per second. */
  rate: number;
  /** Stop after this many outputs. */
  limit?: number;
  signal?: AbortSignal;
  /** Clock (tests). */
  now?: () => number;
}

/**
 * Real time at a target rate: the simulation runs from now with a flat day curve and session
 * frequency scaled so its natural rate matches `rate`; outputs are paced by a token bucket and each
 * event is stamped with the wall-clock time it is emitted (a fresh UUID v7 for that time). Late
 * events get a time 1 to 26 hours back (and are flagged `late`).
 */
export async function* live(university: University, options: LiveOptions): AsyncGenerator<GeneratedItem> {
  if (!(options.rate > 0)) throw new Error('live: rate must be positive');
  const now = options.now ?? Date.now;
  const start = now();
  const perSession = Simulation.expectedEventsPerSession(options.weights);
  const users = university.students.length + university.teachers.length;
  const sessionsPerUserPerDay = (options.rate * 86_400) / perSession / users;
  const simulation = new Simulation(university, start, {
    diurnal: false,
    ...options,
    sessionsPerStudentPerDay: options.sessionsPerStudentPerDay ?? sessionsPerUserPerDay,
    sessionsPerTeacherPerDay: options.sessionsPerTeacherPerDay ?? sessionsPerUserPerDay,
  });
  const seed = options.seed ?? university.seed;
  const idRandom = new Random(seed, 'live-ids');
  const bytes = new Uint8Array(16);
  let last = start;
  const stamp = (event: LmsEvent, ms: number): LmsEvent => ({
    ...event,
    id: v7({ msecs: ms, random: idRandom.fill(bytes) }),
    time: isoTime(ms),
  });
  const restamped = (function* () {
    for (const event of simulation.run(Number.POSITIVE_INFINITY)) {
      last = Math.max(last, now());
      yield stamp(event, last);
    }
  })();
  const items = injectFaults(restamped, { ...options, lateDelay: [0, 0] }, seed);
  const lateRandom = new Random(seed, 'live-late');
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let emitted = 0;
  const begin = now();
  for (const item of items) {
    if (options.signal?.aborted || emitted >= limit) return;
    // Token bucket: never ahead of rate × elapsed.
    for (;;) {
      const allowed = ((now() - begin) * options.rate) / 1000 + 1;
      if (emitted < allowed) break;
      await sleep(Math.max(1, Math.ceil(((emitted - allowed + 1) * 1000) / options.rate)));
      if (options.signal?.aborted) return;
    }
    emitted++;
    if (item.kind === 'event' && item.late) {
      const back = Date.parse(item.event.time) - Math.round(lateRandom.uniform(3_600_000, 26 * 3_600_000));
      yield { ...item, event: stamp(item.event, back) };
    } else {
      yield item;
    }
  }
}

export * from './calendar.ts';
export * from './faults.ts';
export * from './mix.ts';
export * from './output.ts';
export * from './random.ts';
export { type BehaviourOptions, behaviourDefaults, Simulation } from './simulation.ts';
export * from './university.ts';
export * from './xapi.ts';
