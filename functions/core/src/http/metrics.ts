/**
 * Prometheus helpers: each function keeps its metrics in its own prom-client Registry, which
 * `installRuntimeHooks({ registries })` serves on the runtime's /metrics next to the runtime's own.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** A registry whose metrics all carry `function=<name>`. */
export function functionRegistry(name: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ function: name });
  return registry;
}

/** Buckets for durations of storage writes, in seconds (1 ms … 10 s). */
export const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets for batch sizes (1 … 10,000). */
export const sizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
