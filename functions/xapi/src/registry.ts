/**
 * The registry of stored statement ids (view-store table xapi_statement_ids: SQLite embedded, Cassandra in
 * the cluster). Read once per group commit for the ids of its requests (readPartitions: one SQLite query per
 * 64 ids, concurrent partition reads in Cassandra), written after the statements' lake
 * file and events, so a row means "stored".
 *
 * The race it leaves open: two first sends of one id with different content, in the same instant in two
 * pods, both read "unknown" and are both accepted (the later registry row wins; the lake holds both, the
 * events of both flow). A compare-and-set (Cassandra LWT, `INSERT … IF NOT EXISTS`) would close it at four
 * round trips per insert (Paxos) on the path of every statement; 409 therefore covers an id resent with
 * other content after its first send was answered, and any repeat within one pod's flush — which is what an
 * LMS resending after a timeout does. Within one process the group commit sees every id of a flush at once.
 */
import type { ViewStore } from '@ula/core/adapters/view-store';
import { xapiStatementIds } from '@ula/core/views/system-tables';

export interface RegistryEntry {
  id: string;
  hash: string;
  /** Epoch ms. */
  stored: number;
}

export interface StatementRegistry {
  /** The content hash of each of `ids` already stored (absent ids are not in the map). */
  lookup(ids: readonly string[]): Promise<Map<string, string>>;
  record(entries: readonly RegistryEntry[]): Promise<void>;
  health(): Promise<void>;
}

export class ViewStoreRegistry implements StatementRegistry {
  constructor(private readonly store: ViewStore) {}

  async ensureTable(): Promise<void> {
    await this.store.ensureTables([xapiStatementIds]);
  }

  async lookup(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.store.readPartitions(
      xapiStatementIds,
      ids.map((id) => ({ statement_id: id })),
    );
    const known = new Map<string, string>();
    for (const row of rows) {
      const hash = row['content_hash'];
      if (typeof hash === 'string') known.set(String(row['statement_id']), hash);
    }
    return known;
  }

  async record(entries: readonly RegistryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.store.upsert(
      xapiStatementIds,
      entries.map((e) => ({ statement_id: e.id, content_hash: e.hash, stored: e.stored })),
    );
  }

  async health(): Promise<void> {
    await this.store.health();
  }
}
