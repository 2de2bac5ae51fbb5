/** Generated items as the HTTP requests Knative would deliver: binary-mode CloudEvents (ce-* headers, JSON body). */
import type { CloudEventRequest } from '@ula/tools/dispatch/in-process';
import { attributesOf, type GeneratedItem } from '@ula/tools/generator/index';

export function requestOf(item: GeneratedItem): CloudEventRequest {
  const attributes = item.kind === 'event' ? attributesOf(item.event) : item.record.attributes;
  const body = item.kind === 'event' ? JSON.stringify(item.event.data) : item.record.body;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const name in attributes) {
    if (name === 'datacontenttype') headers['content-type'] = attributes[name]!;
    else headers[`ce-${name}`] = attributes[name]!;
  }
  return { headers, body: Buffer.from(body) };
}

/** The event time of an item (malformed records: their time attribute, possibly unparseable → NaN). */
export const timeOf = (item: GeneratedItem): number =>
  item.kind === 'event' ? Date.parse(item.event.time) : Date.parse(item.record.attributes['time'] ?? '');
