/**
 * Knative Eventing's delivery contract, for the stand-ins that play it outside a cluster (the local
 * Kafka dispatcher and the embedded in-process bus): retry 5xx, 408, 429 and network errors with
 * exponential backoff; never retry other 4xx (the event itself is bad); after the last attempt, or on a
 * non-retryable answer, the event goes to the dead-letter sink with the reason.
 */
export interface DeliveryPolicy {
  /** Retries after the first attempt (KafkaSource default: 10). */
  retry: number;
  /** Base delay; attempt n waits backoffDelayMs × 2^n (Knative's exponential policy). */
  backoffDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = { retry: 10, backoffDelayMs: 200, timeoutMs: 30_000 };

/** What one attempt got back: an HTTP status and body, or a transport error. */
export type AttemptResult = { status: number; body: string } | { error: Error };

export type DeliveryOutcome =
  | { delivered: true; status: number; attempts: number }
  | { delivered: false; status: number | undefined; reason: string; attempts: number };

export const isRetryable = (result: AttemptResult): boolean =>
  'error' in result || result.status >= 500 || result.status === 408 || result.status === 429;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one attempt, aborted after `timeoutMs` with a "timed out" reason. A plain timer cleared on the
 * answer: AbortSignal.timeout() timers outlive fast answers and, at thousands of attempts per second,
 * weigh on garbage collection.
 */
export async function withTimeout<T>(
  timeoutMs: number,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    return await attempt(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends until delivered, a non-retryable answer, or the retry budget is spent. */
export async function deliver(
  send: (signal: AbortSignal) => Promise<AttemptResult>,
  policy: DeliveryPolicy = defaultDeliveryPolicy,
): Promise<DeliveryOutcome> {
  let last: AttemptResult = { error: new Error('not attempted') };
  let attempts = 0;
  for (let attempt = 0; attempt <= policy.retry; attempt++) {
    attempts = attempt + 1;
    if (attempt > 0) await sleep(policy.backoffDelayMs * 2 ** attempt);
    try {
      last = await withTimeout(policy.timeoutMs, send);
    } catch (error) {
      last = { error: error instanceof Error ? error : new Error(String(error)) };
    }
    if (!('error' in last) && last.status >= 200 && last.status < 300) {
      return { delivered: true, status: last.status, attempts };
    }
    if (!isRetryable(last)) break;
  }
  return 'error' in last
    ? { delivered: false, status: undefined, reason: last.error.message, attempts }
    : { delivered: false, status: last.status, reason: last.body.slice(0, 1000), attempts };
}
