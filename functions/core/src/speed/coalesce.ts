import type { Row } from '../views/columns.ts';
import type { SpeedViewDefinition } from '../views/define.ts';
import type { ViewFacts } from './plan.ts';

/**
 * Merges the fact rows of many events into one write per view, dropping rows with the same primary key
 * (a redelivered event, or the same distinct member seen twice in a window): they would rewrite the
 * same Cassandra row with the same value, so writing one of them is equivalent and cheaper.
 */
export function coalesceFacts(batches: Iterable<readonly ViewFacts[]>): ViewFacts[] {
  const byView = new Map<SpeedViewDefinition, Map<string, Row>>();
  for (const writes of batches) {
    for (const { view, rows } of writes) {
      let unique = byView.get(view);
      if (!unique) {
        unique = new Map();
        byView.set(view, unique);
      }
      const keyNames = Object.keys(view.keys);
      for (const row of rows) {
        const id = [row['window_start'], ...keyNames.map((k) => row[k]), row['metric'], row['member']].join(
          '\u0001',
        );
        unique.set(id, row);
      }
    }
  }
  return [...byView].map(([view, rows]) => ({ view, rows: [...rows.values()] }));
}
