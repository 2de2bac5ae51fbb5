/**
 * The xapi function with its derived events handed to an in-process sink instead of the one ULA_XAPI_SINK
 * chooses: what the benchmark runs to measure the function's own cost (no Kafka client, no HTTP posts, no
 * sink process sharing the CPUs). The sink takes each flush's events and lets them go; the function counts
 * what the sink accepted in ula_xapi_events_total, which the benchmark compares with the statements stored.
 */
import { InProcessEventSink } from '../../functions/core/src/adapters/event-sink.ts';
import { initWith } from '../../functions/xapi/src/index.ts';

export { handle, liveness, readiness, shutdown } from '../../functions/xapi/src/index.ts';

export async function init(): Promise<void> {
  await initWith({ sink: new InProcessEventSink(async () => {}) });
}
