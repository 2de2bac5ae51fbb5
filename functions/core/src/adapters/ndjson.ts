/**
 * NDJSON file sink: one structured-mode CloudEvent (JSON) per line. The envelope is assembled from
 * precomputed fragments per event type and the data is `JSON.stringify`d once, then lines are
 * written in large synchronous chunks: this is the fast path used to produce big backfills.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { cloudEventSource, cloudEventType, type LmsEvent } from '../events/envelope.ts';
import type { GeneratedItem, MalformedRecord } from '../generator/output.ts';

const fragments = new Map<string, string>();

/** `","source":"/lms/<category>","type":"edu.lms.<category>.<type>","subject":` for an event type. */
function middleOf(event: LmsEvent): string {
  const key = event.eventType;
  let f = fragments.get(key);
  if (f === undefined || !f.includes(`/lms/${event.category}"`)) {
    f = `,"source":${JSON.stringify(cloudEventSource(event.category))},"type":${JSON.stringify(
      cloudEventType(event.category, event.eventType),
    )},"subject":`;
    fragments.set(key, f);
  }
  return f;
}

const safeString = /^[\w.:@/+-]*$/;
const quote = (s: string): string => (safeString.test(s) ? `"${s}"` : JSON.stringify(s));

/** One structured-mode CloudEvent as a JSON line (with the trailing newline). */
export function toNdjsonLine(event: LmsEvent): string {
  return (
    '{"specversion":"1.0","id":' +
    quote(event.id) +
    middleOf(event) +
    quote(event.data.user_id) +
    ',"time":' +
    quote(event.time) +
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
  /** Bytes buffered before a write (default 1 MiB). */
  chunkBytes?: number;
}

/** Appends generated items to a file (created or truncated), one CloudEvent per line. */
export class NdjsonSink {
  private readonly fd: number;
  private readonly chunkChars: number;
  private buffer = '';
  private closed = false;
  events = 0;
  malformed = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    options: NdjsonSinkOptions = {},
  ) {
    this.fd = openSync(path, 'w');
    this.chunkChars = options.chunkBytes ?? 1 << 20;
  }

  write(item: GeneratedItem): void {
    if (item.kind === 'event') {
      this.buffer += toNdjsonLine(item.event);
      this.events++;
    } else {
      this.buffer += malformedNdjsonLine(item.record);
      this.malformed++;
    }
    if (this.buffer.length >= this.chunkChars) this.flush();
  }

  writeEvent(event: LmsEvent): void {
    this.buffer += toNdjsonLine(event);
    this.events++;
    if (this.buffer.length >= this.chunkChars) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
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
