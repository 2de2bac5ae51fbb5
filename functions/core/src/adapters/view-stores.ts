import type { Config } from '../config.ts';
import { type CassandraStoreOptions, CassandraViewStore } from './cassandra.ts';
import { openSqliteViewStore } from './sqlite.ts';
import type { ViewStore } from './view-store.ts';

/**
 * The view store the configuration selects: Cassandra when contact points are set
 * (ULA_CASSANDRA_CONTACT_POINTS), otherwise the embedded SQLite file `<dataDir>/views.sqlite`.
 */
export function openViewStore(
  config: Pick<Config, 'cassandra' | 'dataDir'>,
  options?: CassandraStoreOptions,
): ViewStore {
  if (config.cassandra) return new CassandraViewStore(config.cassandra, options);
  return openSqliteViewStore(config.dataDir);
}
