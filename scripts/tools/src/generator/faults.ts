/**
 * Fault injection for error-path, dedup and late-data tests: malformed records, duplicates (the same
 * event, same id, re-emitted) and late events (emitted after later events). The faults draw from their
 * own random stream, so the good events are identical whatever the fault rates.
 */

import { eventCatalogue } from '@ula/core/events/catalogue';
import { optionalFieldsOf } from '@ula/core/events/define';
import { cloudEventSource, cloudEventType, type LmsEvent } from '@ula/core/events/envelope';
import { v7 } from 'uuid';
import { DAY, HOUR } from './calendar.ts';
import { type Defect, defects, type GeneratedItem, type MalformedRecord } from './output.ts';
import { Random } from './random.ts';

export interface FaultOptions {
  /** Share (0..1) of all outputs that are malformed records. */
  malformedRate?: number;
  /** Share (0..1) of events that are emitted a second time (same id) shortly after. */
  duplicateRate?: number;
  /** Share (0..1) of events that arrive late: after events of a later hour or day. */
  lateRate?: number;
  /** Which defects to inject (default all). */
  defects?: readonly Defect[];
  /** How late late events are, ms (default 1 h .. 26 h). */
  lateDelay?: readonly [number, number];
}

/** Per event type, the fields the catalogue lets be absent: removing one is no defect. */
const optionalFields = new Map(
  eventCatalogue.map((definition) => [definition.eventType, new Set(optionalFieldsOf(definition))]),
);

function checkRate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!(v >= 0 && v < 1)) throw new Error(`${name} must be in [0, 1), got ${String(value)}`);
  return v;
}

/** The CloudEvent attributes of a valid event, as they travel in binary mode. */
export function attributesOf(event: LmsEvent): Record<string, string> {
  return {
    specversion: '1.0',
    id: event.id,
    type: cloudEventType(event.category, event.eventType),
    source: cloudEventSource(event.category),
    subject: event.data.user_id,
    time: event.time,
    datacontenttype: 'application/json',
  };
}

/** A malformed copy of `event` with the given defect (a fresh id, so it never shadows the good one). */
export function malform(event: LmsEvent, defect: Defect, random: Random): MalformedRecord {
  const attributes = attributesOf(event);
  attributes['id'] = v7({ msecs: Date.parse(event.time), random: random.fill(new Uint8Array(16)) });
  const data: Record<string, unknown> = { ...event.data };
  const required = Object.keys(data).filter((k) => !optionalFields.get(event.eventType)?.has(k));
  let body: string;
  switch (defect) {
    case 'bad_json': {
      const text = JSON.stringify(data);
      body = text.slice(0, Math.max(1, Math.floor(text.length * random.uniform(0.2, 0.9))));
      break;
    }
    case 'missing_field':
      delete data[random.pick(required)];
      body = JSON.stringify(data);
      break;
    case 'mistyped_field': {
      const key = random.pick(required);
      const value = data[key];
      data[key] = typeof value === 'number' ? String(value) : typeof value === 'string' ? 12345 : 'oops';
      body = JSON.stringify(data);
      break;
    }
    case 'unknown_type':
      attributes['type'] = `${cloudEventType(event.category, event.eventType)}_unknown`;
      body = JSON.stringify(data);
      break;
    case 'bad_time':
      // The older system's format (docs/architecture.md#the-older-system): local wall clock, no offset, no milliseconds.
      attributes['time'] = event.time.slice(0, 19).replace('T', ' ');
      body = JSON.stringify(data);
      break;
  }
  return { category: event.category, key: event.data.user_id, attributes, body };
}

/** Adds the configured faults to a stream of good events. */
export function* injectFaults(
  events: Iterable<LmsEvent>,
  options: FaultOptions,
  seed: string | number,
): Generator<GeneratedItem> {
  const malformedRate = checkRate('malformedRate', options.malformedRate);
  const duplicateRate = checkRate('duplicateRate', options.duplicateRate);
  const lateRate = checkRate('lateRate', options.lateRate);
  const kinds = options.defects ?? defects;
  const [minLate, maxLate] = options.lateDelay ?? [HOUR, DAY + 2 * HOUR];
  if (malformedRate === 0 && duplicateRate === 0 && lateRate === 0) {
    for (const event of events) yield { kind: 'event', event };
    return;
  }
  const random = new Random(seed, 'faults');
  // p per good event so that malformed / (good + malformed) = malformedRate.
  const malformedPerEvent = malformedRate / (1 - malformedRate);
  const recent: LmsEvent[] = [];
  const held: { release: number; event: LmsEvent }[] = [];
  for (const event of events) {
    const t = Date.parse(event.time);
    while (held.length > 0 && held[0]!.release <= t)
      yield { kind: 'event', event: held.shift()!.event, late: true };
    if (lateRate > 0 && random.chance(lateRate)) {
      const release = t + random.uniform(minLate, maxLate);
      let i = held.length;
      while (i > 0 && held[i - 1]!.release > release) i--;
      held.splice(i, 0, { release, event });
    } else {
      yield { kind: 'event', event };
      if (duplicateRate > 0) {
        if (recent.length < 1000) recent.push(event);
        else recent[random.int(0, 999)] = event;
      }
    }
    if (malformedPerEvent > 0) {
      let p = malformedPerEvent;
      while (p > 0 && random.chance(Math.min(1, p))) {
        const defect = random.pick(kinds);
        yield { kind: 'malformed', record: malform(event, defect, random), defect };
        p -= 1;
      }
    }
    if (duplicateRate > 0 && recent.length > 0 && random.chance(duplicateRate)) {
      yield { kind: 'event', event: random.pick(recent), duplicate: true };
    }
  }
  for (const h of held) yield { kind: 'event', event: h.event, late: true };
}
