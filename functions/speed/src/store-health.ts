import type { TableDefinition, ViewStore } from '@ula/core';
import type { Logger } from './speed-handler.ts';

/** The view store's health for readiness probes: checked at most once per `cacheMs`. */
export class StoreHealth {
  private checkedAt = 0;
  private healthy = false;

  constructor(
    private readonly store: ViewStore,
    private readonly log: Logger,
    private readonly cacheMs = 2000,
  ) {}

  /** Verifies the speed tables exist; logs what to do when not (the function still starts, unready). */
  async ensureTables(tables: readonly TableDefinition[]): Promise<void> {
    try {
      await this.store.ensureTables(tables);
      this.healthy = true;
      this.checkedAt = Date.now();
    } catch (error) {
      this.log.error({
        msg: 'speed tables not available; apply cassandra/schema.cql (npm run schema, then the stack applies it)',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async ok(): Promise<boolean> {
    if (Date.now() - this.checkedAt < this.cacheMs) return this.healthy;
    try {
      await this.store.health();
      this.healthy = true;
    } catch {
      this.healthy = false;
    }
    this.checkedAt = Date.now();
    return this.healthy;
  }
}
