/**
 * `npm start -- --xapi`: the simulated university reaches the pipeline as an LMS would send it, as xAPI
 * statements through the xapi function's LRS (functions/xapi/src/lrs.ts), run in this process. Its adapters
 * are the demo's: statements in the demo's lake (xapi/statements/), the registry of stored ids in the demo's
 * view store, and the derived events handed to the in-process dispatcher, the same bus the native events
 * take to ingest and speed. No authentication (ULA_XAPI_AUTH=none's behaviour): the LRS is not listening on
 * any port, the demo calls it.
 */
import { InProcessEventSink } from '../../functions/core/src/adapters/event-sink.ts';
import { lakeStore } from '../../functions/core/src/adapters/object-stores.ts';
import type { ViewStore } from '../../functions/core/src/adapters/view-store.ts';
import { openViewStore } from '../../functions/core/src/adapters/view-stores.ts';
import type { Config } from '../../functions/core/src/config.ts';
import type { LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { readSettings, xapi } from '../../functions/core/src/settings.ts';
import { StatementMapper } from '../../functions/core/src/xapi/mapping.ts';
import { Lrs, type LrsResponse } from '../../functions/xapi/src/lrs.ts';
import { xapiMetrics } from '../../functions/xapi/src/metrics.ts';
import { ViewStoreRegistry } from '../../functions/xapi/src/registry.ts';

/** What the demo counts of the statements it sent. */
export interface XapiCounts {
  /** Requests answered 2xx (their statements are stored, or were already). */
  accepted: number;
  /** Requests refused 4xx (invalid statements: the generator's malformed records), with their reasons' count. */
  rejected: number;
  statements: number;
}

export class EmbeddedLrs {
  readonly counts: XapiCounts = { accepted: 0, rejected: 0, statements: 0 };

  private constructor(
    private readonly lrs: Lrs,
    private readonly registryStore: ViewStore,
  ) {}

  /**
   * The LRS over the demo's lake and view store; `deliver` hands derived events to the dispatcher and
   * resolves once ingest and speed answered them.
   */
  static async start(
    config: Config,
    homePage: string,
    deliver: (events: readonly LmsEvent[]) => Promise<void>,
  ): Promise<EmbeddedLrs> {
    const settings = readSettings(process.env, xapi);
    const registryStore = openViewStore(config, { attempts: 5 });
    const registry = new ViewStoreRegistry(registryStore);
    await registry.ensureTable();
    const lrs = new Lrs({
      lake: lakeStore(config),
      sink: new InProcessEventSink(deliver),
      registry,
      mapper: new StatementMapper({ homePage, defaultRole: settings.defaultRole }),
      metrics: xapiMetrics(),
      credentials: undefined,
      homePage,
      groupCommit: {
        maxRequests: settings.maxRequests,
        lingerMs: settings.lingerMs,
        maxAgeMs: Math.max(settings.maxAgeMs, settings.lingerMs),
      },
    });
    return new EmbeddedLrs(lrs, registryStore);
  }

  /** POSTs one request's statements (JSON text: one statement or an array) as an LMS would. */
  async post(body: string): Promise<LrsResponse> {
    const answer = await this.lrs.handle({
      method: 'POST',
      path: '/xapi/statements',
      query: {},
      headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' },
      body: Buffer.from(body),
    });
    if (answer.statusCode >= 500)
      throw new Error(`xapi answered ${answer.statusCode}: ${JSON.stringify(answer.body)}`);
    if (answer.statusCode < 300) {
      this.counts.accepted++;
      this.counts.statements += Array.isArray(answer.body) ? answer.body.length : 1;
    } else this.counts.rejected++;
    return answer;
  }

  /** Flushes what is pending, then closes the registry's store. */
  async close(): Promise<void> {
    await this.lrs.close();
    await this.registryStore.close();
  }
}
