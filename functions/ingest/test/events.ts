/** Test helpers: LMS events and their CloudEvents over HTTP, built by hand (no generator needed). */
import { randomUUID } from 'node:crypto';
import { toHttpBinary, toHttpStructured } from '@ula/core/events/cloudevents';
import type { LmsEvent } from '@ula/core/events/envelope';

let n = 0;
/** A valid event; `i` varies user, category and hour so batches span several groups. */
export function sampleEvent(
  i = n++,
  time = new Date(Date.UTC(2026, 10, 1, i % 3, 7, 5, i % 1000)),
): LmsEvent {
  const user = `SV${String(i % 50).padStart(5, '0')}`;
  const id = randomUUID();
  const base = { user_id: user, role: 'student' as const };
  const session = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
  switch (i % 3) {
    case 0:
      return {
        id,
        category: 'auth',
        eventType: 'LOGIN',
        time: time.toISOString(),
        data: { ...base, session_id: session, device: 'ios' },
      };
    case 1:
      return {
        id,
        category: 'video',
        eventType: 'VIDEO_WATCHED',
        time: time.toISOString(),
        data: {
          ...base,
          video_id: `V${i}`,
          course_id: `C${i % 7}`,
          watch_duration_seconds: 60,
          video_duration_seconds: 600,
          session_id: session,
          extra_field: { nested: [1, 2, 'ü'] },
        },
      };
    default:
      return {
        id,
        category: 'auth',
        eventType: 'LOGOUT',
        time: time.toISOString(),
        data: { ...base, session_id: session },
      };
  }
}

export interface HttpRequest {
  headers: Record<string, string>;
  body: string;
}

export function binaryRequest(event: LmsEvent): HttpRequest {
  const m = toHttpBinary(event);
  return { headers: m.headers as Record<string, string>, body: String(m.body) };
}

export function structuredRequest(event: LmsEvent): HttpRequest {
  const m = toHttpStructured(event);
  return { headers: m.headers as Record<string, string>, body: String(m.body) };
}

/** POSTs to a running function; returns status and parsed JSON (or text) body. */
export async function post(url: string, request: HttpRequest): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, body };
}
