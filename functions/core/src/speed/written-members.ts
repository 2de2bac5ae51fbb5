import type { Row } from '../views/columns.ts';
import type { SpeedViewDefinition } from '../views/define.ts';
import type { ViewFacts } from './plan.ts';

/**
 * Distinct-count facts this process has already stored, so they are not written again: a distinct
 * count's fact row is the same row for every event with that member in that window (the same user
 * logging in twice in a day writes the same `daily_active_users` row). Skipping a row already stored is
 * exact; only rows whose write succeeded are remembered, and a process without memory rewrites them,
 * which changes nothing. Bounded: the windows seen first are forgotten first.
 */
export class WrittenMembers {
  private readonly windows = new Map<string, Set<string>>();
  private size = 0;

  constructor(private readonly capacity: number) {}

  /** The facts without the distinct-count rows already stored; `remember` them once written. */
  unwritten(writes: readonly ViewFacts[]): ViewFacts[] {
    if (this.capacity <= 0) return [...writes];
    const out: ViewFacts[] = [];
    for (const { view, rows } of writes) {
      const kept = rows.filter((row) => {
        if (!isDistinct(view, row)) return true;
        return !this.windows.get(windowId(view, row))?.has(memberId(view, row));
      });
      if (kept.length > 0) out.push({ view, rows: kept });
    }
    return out;
  }

  remember(writes: readonly ViewFacts[]): void {
    if (this.capacity <= 0) return;
    for (const { view, rows } of writes) {
      for (const row of rows) {
        if (!isDistinct(view, row)) continue;
        const id = windowId(view, row);
        let members = this.windows.get(id);
        if (!members) {
          members = new Set();
          this.windows.set(id, members);
        }
        const before = members.size;
        members.add(memberId(view, row));
        this.size += members.size - before;
      }
    }
    for (const [id, members] of this.windows) {
      if (this.size <= this.capacity) break;
      this.windows.delete(id);
      this.size -= members.size;
    }
  }

  get count(): number {
    return this.size;
  }
}

const isDistinct = (view: SpeedViewDefinition, row: Row): boolean =>
  view.metrics[row['metric'] as string]?.aggregate.kind === 'count_distinct';
const windowId = (view: SpeedViewDefinition, row: Row) => `${view.name}\u0001${row['window_start']}`;
const memberId = (view: SpeedViewDefinition, row: Row) => {
  let id = `${row['metric']}\u0001${row['member']}`;
  for (const key in view.keys) id += `\u0001${row[key]}`;
  return id;
};
