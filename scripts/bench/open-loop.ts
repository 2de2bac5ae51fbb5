/**
 * An open-loop HTTP load at a steady rate: request i is due at start + i / rate, whatever happened to
 * the earlier ones, and its latency runs from that due time to the end of its response (so a stalled
 * server or client is charged in full: no coordinated omission). autocannon's `overallRate` is not
 * steady: each connection sends its whole per-second quota back to back when the second starts, so
 * "200 requests/s" is a 200-request burst once a second; the serving benchmark reports both.
 */
import { Agent, request } from 'node:http';

export interface OpenLoopResult {
  sent: number;
  failures: number;
  /** Latency percentiles and maximum, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

function get(agent: Agent, url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: 'GET' }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/** GETs `paths` in turn at `rate` requests/s for `seconds`, on keep-alive connections. */
export async function openLoop(
  base: string,
  paths: readonly string[],
  rate: number,
  seconds: number,
): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const urls = paths.map((p) => new URL(p, base));
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let failures = 0;
  const start = performance.now();
  try {
    for (let i = 0; i < total; ) {
      // Send everything due by now (a timer tick may cover several due times), then sleep to the next.
      const now = performance.now();
      for (; i < total && start + (i * 1000) / rate <= now; i++) {
        const due = start + (i * 1000) / rate;
        const p = get(agent, urls[i % urls.length]!).then(
          (status) => {
            if (status >= 200 && status < 300) latencies.push(performance.now() - due);
            else failures++;
          },
          () => {
            failures++;
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  latencies.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  return {
    sent: total,
    failures,
    p50: ms(percentile(latencies, 0.5)),
    p90: ms(percentile(latencies, 0.9)),
    p99: ms(percentile(latencies, 0.99)),
    max: ms(latencies.at(-1) ?? Number.NaN),
  };
}
