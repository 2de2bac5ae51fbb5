import { type LmsEvent, toHttpBinary } from '@ula/core';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs one event in binary mode, as Knative (or the local dispatcher) delivers it. */
export async function post(url: string, event: LmsEvent): Promise<Reply> {
  const message = toHttpBinary(event);
  const response = await fetch(url, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: message.body as string,
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** Runs `work` over items with at most `concurrency` at once, keeping results in order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}
