// Writes cassandra/schema.cql from the view declarations (`npm run schema`).
import { writeFileSync } from 'node:fs';
import { cassandraSchema, loadConfig } from '../functions/core/src/index.ts';

writeFileSync('cassandra/schema.cql', cassandraSchema(loadConfig().keyspace));
console.log('wrote cassandra/schema.cql');
