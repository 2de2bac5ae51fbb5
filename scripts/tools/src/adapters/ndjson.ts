/**
 * NDJSON file sink: one structured-mode CloudEvent (JSON) per line. The envelope is assembled from
 * precomputed fragments per event type and the data is `JSON.stringify`d once, then lines are
 * encoded into one reused buffer and written in large synchronous chunks: this is the fast path used
 * to produce big backfills.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { cloudEventSource, cloudEventType, type LmsEvent } from '@ula/core/events/envelope';
import type { GeneratedItem, MalformedRecord } from '../generator/output.ts';

/** `,"source":"/lms/<category>","type":"edu.lms.<category>.<type>","subject":` for an event. */
const middleOf = (event: LmsEvent): string =>
  `,"source":${JSON.stringify(cloudEventSource(event.category))},"type":${JSON.stringify(
    cloudEventType(event.category, event.eventType),
  )},"subject":`;

/** Per category, per event type: `middleOf` closing the id's quote and opening the subject's. */
const fragments = new Map<string, Map<string, string>>();

function quotedMiddleOf(event: LmsEvent): string {
  let byType = fragments.get(event.category);
  if (byType === undefined) {
    byType = new Map();
    fragments.set(event.category, byType);
  }
  let f = byType.get(event.eventType);
  if (f === undefined) {
    f = `"${middleOf(event)}"`;
    byType.set(event.eventType, f);
  }
  return f;
}

const safeString = /^[\w.:@/+-]*$/;
const quote = (s: string): string => (safeString.test(s) ? `"${s}"` : JSON.stringify(s));

/** One structured-mode CloudEvent as a JSON line (with the trailing newline). */
export function toNdjsonLine(event: LmsEvent): string {
  const id = event.id;
  const subject = event.data.user_id;
  const time = event.time;
  // Usually nothing needs escaping: the quotes then come with the constant fragments.
  if (safeString.test(id) && safeString.test(subject) && safeString.test(time)) {
    return (
      '{"specversion":"1.0","id":"' +
      id +
      quotedMiddleOf(event) +
      subject +
      '","time":"' +
      time +
      '","datacontenttype":"application/json","data":' +
      JSON.stringify(event.data) +
      '}\n'
    );
  }
  return (
    '{"specversion":"1.0","id":' +
    quote(id) +
    middleOf(event) +
    quote(subject) +
    ',"time":' +
    quote(time) +
    ',"datacontenttype":"application/json","data":' +
    JSON.stringify(event.data) +
    '}\n'
  );
}

/** A malformed record as a line: its attributes as given and its body spliced in raw as `data`. */
export function malformedNdjsonLine(record: MalformedRecord): string {
  let line = '{';
  for (const [name, value] of Object.entries(record.attributes))
    line += `${JSON.stringify(name)}:${JSON.stringify(value)},`;
  return `${line}"data":${record.body}}\n`;
}

export interface NdjsonSinkOptions {
  /** Size of the write buffer, bytes (default 1 MiB): lines are encoded into it, then written at once. */
  chunkBytes?: number;
}

/** Appends generated items to a file (created or truncated), one CloudEvent per line. */
export class NdjsonSink {
  private readonly fd: number;
  /** Reused for every write: a fresh buffer per flush costs page faults, and one big string to encode. */
  private readonly chunk: Buffer;
  private used = 0;
  private closed = false;
  events = 0;
  malformed = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    options: NdjsonSinkOptions = {},
  ) {
    this.fd = openSync(path, 'w');
    this.chunk = Buffer.allocUnsafe(Math.max(1, options.chunkBytes ?? 1 << 20));
  }

  write(item: GeneratedItem): void {
    if (item.kind === 'event') {
      this.append(toNdjsonLine(item.event));
      this.events++;
    } else {
      this.append(malformedNdjsonLine(item.record));
      this.malformed++;
    }
  }

  /** Writes lines of another form (e.g. xAPI statements, one JSON per line) for one generated item. */
  writeLines(lines: readonly string[], malformed: boolean): void {
    for (const line of lines) this.append(`${line}\n`);
    if (malformed) this.malformed++;
    else this.events++;
  }

  writeEvent(event: LmsEvent): void {
    this.append(toNdjsonLine(event));
    this.events++;
  }

  /** Encodes a line straight into the chunk (UTF-8 takes at most 3 bytes per UTF-16 unit). */
  private append(line: string): void {
    const room = line.length * 3;
    if (this.used + room > this.chunk.length) {
      this.flush();
      if (room > this.chunk.length) {
        this.writeAll(Buffer.from(line, 'utf8'));
        return;
      }
    }
    this.used += this.chunk.write(line, this.used);
  }

  flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.chunk.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd, data, offset);
    this.bytes += data.length;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}
