import type { LmsEvent } from '../events/envelope.ts';
import type { Row } from '../views/columns.ts';
import type { SpeedViewDefinition, ViewContext } from '../views/define.ts';
import { speedFacts } from '../views/engine.ts';
import { type LatenessPolicy, windowEnd, windowState } from './lateness.ts';

/** Fact rows to write into one speed view's table. */
export interface ViewFacts {
  view: SpeedViewDefinition;
  rows: Row[];
}

/**
 * What one event does to the speed views: `on_time` when every window it falls into is open, `late`
 * when some were closed but within the allowed lateness (they are still updated), `too_late` when at
 * least one window was past it (that part is left to the batch layer). `lateViews`/`tooLateViews` name
 * the views concerned, for metrics and logs.
 */
export interface EventPlan {
  status: 'on_time' | 'late' | 'too_late';
  writes: ViewFacts[];
  facts: number;
  lateViews: string[];
  tooLateViews: string[];
}

/** Thrown for an event stamped too far in the future: a producer clock problem, not a late event. */
export class FutureEventError extends Error {
  override readonly name = 'FutureEventError';
  constructor(
    readonly eventTime: string,
    readonly maxFutureSkewMs: number,
  ) {
    super(
      `event time ${eventTime} is more than ${maxFutureSkewMs / 1000} s ahead of the speed function's clock`,
    );
  }
}

/** The views an event of each category can update, so an event only visits the views that read it. */
export function viewsByCategory(views: readonly SpeedViewDefinition[]): Map<string, SpeedViewDefinition[]> {
  const out = new Map<string, SpeedViewDefinition[]>();
  for (const view of views) {
    for (const category of view.sources) {
      const list = out.get(category) ?? [];
      list.push(view);
      out.set(category, list);
    }
  }
  return out;
}

/** Plans the fact rows of one event against the clock `now`; pure. */
export function planEvent(
  event: LmsEvent,
  views: readonly SpeedViewDefinition[],
  now: number,
  policy: LatenessPolicy,
  context: ViewContext,
): EventPlan {
  const time = Date.parse(event.time);
  if (time > now + policy.maxFutureSkewMs) throw new FutureEventError(event.time, policy.maxFutureSkewMs);
  const writes: ViewFacts[] = [];
  const lateViews: string[] = [];
  const tooLateViews: string[] = [];
  let facts = 0;
  for (const view of views) {
    if (!view.sources.includes(event.category)) continue;
    const ends = new Map<number, ReturnType<typeof windowState>>();
    const stateOf = (start: number) => {
      let state = ends.get(start);
      if (state === undefined) {
        state = windowState(windowEnd(view, start, context), now, policy);
        ends.set(start, state);
      }
      return state;
    };
    const rows = speedFacts(view, event, context).filter(
      (row) => stateOf(row['window_start'] as number) !== 'too_late',
    );
    const states = new Set(ends.values());
    if (states.has('late')) lateViews.push(view.name);
    if (states.has('too_late')) tooLateViews.push(view.name);
    if (rows.length > 0) {
      writes.push({ view, rows });
      facts += rows.length;
    }
  }
  const status = tooLateViews.length > 0 ? 'too_late' : lateViews.length > 0 ? 'late' : 'on_time';
  return { status, writes, facts, lateViews, tooLateViews };
}
