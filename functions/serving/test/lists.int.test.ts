/**
 * The lists (prefix search, cursor pages in both orders, risk lists, CSV) on Cassandra: a scratch keyspace
 * with the declared schema, so the listing's clustering-range and reverse reads run against the real store.
 */
import { openViewStore } from '@ula/core';
import { recreateKeyspace } from '../../../scripts/e2e/stack-run.ts';
import { listsBehaviour } from './lists.test.ts';

const contactPoints = process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1';
const keyspace = 'ula_serving_lists_test';

listsBehaviour('Cassandra', async () => {
  await recreateKeyspace(contactPoints, keyspace);
  return openViewStore({
    cassandra: { contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1', keyspace },
    dataDir: '',
  });
});
