import type { SpeedViewDefinition, ViewContext } from '../views/define.ts';

/**
 * When a speed window stops accepting events. Windows are event-time windows; a window stays open for
 * `allowedLatenessMs` after its end, measured on the function's clock. An event older than that still
 * reaches the lake through ingest (the batch layer counts it); the speed layer reports it as too late.
 * Events stamped further than `maxFutureSkewMs` ahead of the clock are rejected as invalid input.
 */
export interface LatenessPolicy {
  allowedLatenessMs: number;
  maxFutureSkewMs: number;
}

export const defaultLatenessPolicy: LatenessPolicy = { allowedLatenessMs: 600_000, maxFutureSkewMs: 60_000 };

/** End instant (epoch ms, exclusive) of the window starting at `windowStart`. */
export function windowEnd(view: SpeedViewDefinition, windowStart: number, context: ViewContext): number {
  const { size } = view.window;
  if (size !== 'day') return windowStart + size * 1000;
  // The next local date starts within 23-25 h (DST); 36 h past the start is always on the next date.
  return context.calendar.startOfDate(context.calendar.date(windowStart + 36 * 3_600_000));
}

/** How a window relates to the clock: still open, closed but within the allowed lateness, or final. */
export type WindowState = 'open' | 'late' | 'too_late';

export function windowState(end: number, now: number, policy: LatenessPolicy): WindowState {
  if (now < end) return 'open';
  return now <= end + policy.allowedLatenessMs ? 'late' : 'too_late';
}
