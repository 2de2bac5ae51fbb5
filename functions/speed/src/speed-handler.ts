import {
  EventValidationError,
  FutureEventError,
  type LatenessPolicy,
  localCalendar,
  planEvent,
  RecentIds,
  type SpeedViewDefinition,
  speedViews,
  type ViewContext,
  validateEvent,
  viewsByCategory,
} from '@ula/core';
import { decodeCloudEvent, type FunctionRequest } from '@ula/core/http/cloudevents';
import {
  type JsonResponse,
  jsonResponse,
  methodNotAllowed,
  rejection,
  UnavailableError,
  unavailable,
} from '@ula/core/http/errors';
import { type PrivacyPolicy, protectEvent } from '@ula/core/privacy/personal';
import { recordApplied, speedMetrics } from './metrics.ts';
import type { SpeedSettings } from './settings.ts';
import type { SpeedWriter } from './speed-writer.ts';

const tooLateWarnIntervalMs = 10_000;

export interface Logger {
  info(fields: Record<string, unknown>): void;
  warn(fields: Record<string, unknown>): void;
  error(fields: Record<string, unknown>): void;
}

/**
 * Handles one request: decode and validate the CloudEvent, plan its fact rows against the windows'
 * lateness, write them by group commit, answer. 200 only once the facts are stored (or when there is
 * nothing to store: a too-late or spotted-redelivered event); 4xx with the JSON error contract for bad
 * input (an event time beyond the allowed clock skew included); 503 when the store fails (retry).
 */
export class SpeedHandler {
  private readonly recent: RecentIds;
  private readonly policy: LatenessPolicy;
  private readonly context: ViewContext;
  private readonly byCategory: Map<string, SpeedViewDefinition[]>;
  private readonly privacy: PrivacyPolicy;
  private tooLateWarnedAt = Number.NEGATIVE_INFINITY;
  private tooLateSuppressed = 0;

  constructor(
    private readonly writer: SpeedWriter,
    settings: SpeedSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    views: readonly SpeedViewDefinition[] = speedViews,
  ) {
    this.recent = new RecentIds(settings.recentIds);
    this.policy = {
      allowedLatenessMs: settings.allowedLatenessSeconds * 1000,
      maxFutureSkewMs: settings.maxFutureSkewSeconds * 1000,
    };
    this.context = { calendar: localCalendar(settings.config.timeZone) };
    this.byCategory = viewsByCategory(views);
    this.privacy = settings.privacy;
  }

  async handle(request: FunctionRequest): Promise<JsonResponse> {
    if (request.method !== undefined && request.method !== 'POST') return methodNotAllowed(request.method);
    let event: ReturnType<typeof validateEvent>;
    let plan: ReturnType<typeof planEvent>;
    try {
      // The speed rows see what the lake keeps: no personal field, the same pseudonyms (docs/privacy.md).
      event = protectEvent(validateEvent(decodeCloudEvent(request)), this.privacy).event;
      if (this.recent.has(event.id)) {
        speedMetrics.events.inc({ outcome: 'duplicate' });
        return jsonResponse(200, { status: 'duplicate', id: event.id });
      }
      const views = this.byCategory.get(event.category) ?? [];
      plan = planEvent(event, views, this.now(), this.policy, this.context);
    } catch (error) {
      if (error instanceof EventValidationError) return this.reject(error);
      if (error instanceof FutureEventError) {
        const skew = error.maxFutureSkewMs / 1000;
        return this.reject(
          new EventValidationError(
            'invalid_attribute',
            'time',
            `must not be more than ${skew} s in the future`,
          ),
        );
      }
      throw error;
    }
    if (plan.facts > 0) {
      try {
        await this.writer.write(plan.writes);
      } catch (error) {
        speedMetrics.events.inc({ outcome: 'failed' });
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error({
          msg: 'speed write failed; answering 503 so the event is redelivered',
          id: event.id,
          reason,
        });
        return unavailable(new UnavailableError(`view store write failed: ${reason}`, error));
      }
      recordApplied(Date.parse(event.time), this.now());
    }
    this.recent.add(event.id);
    speedMetrics.events.inc({ outcome: plan.status });
    for (const view of plan.lateViews) speedMetrics.lateWindows.inc({ view, lateness: 'late' });
    for (const view of plan.tooLateViews) speedMetrics.lateWindows.inc({ view, lateness: 'too_late' });
    if (plan.status === 'too_late') this.warnTooLate(event, plan.tooLateViews);
    return jsonResponse(200, {
      status: plan.status,
      id: event.id,
      facts: plan.facts,
      ...(plan.tooLateViews.length > 0 ? { tooLateViews: plan.tooLateViews } : {}),
    });
  }

  /**
   * One warning per interval, with how many more too-late events it stands for: a replay of old events
   * would otherwise log every one (the metric counts them all).
   */
  private warnTooLate(event: { id: string; eventType: string; time: string }, views: string[]) {
    const at = this.now();
    if (at - this.tooLateWarnedAt < tooLateWarnIntervalMs) {
      this.tooLateSuppressed++;
      return;
    }
    this.log.warn({
      msg: 'event too late for some speed windows; the batch layer counts it',
      id: event.id,
      type: event.eventType,
      time: event.time,
      views,
      alsoTooLateSinceLastWarning: this.tooLateSuppressed,
    });
    this.tooLateWarnedAt = at;
    this.tooLateSuppressed = 0;
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }

  private reject(error: EventValidationError): JsonResponse {
    speedMetrics.events.inc({ outcome: 'rejected' });
    speedMetrics.rejected.inc({ reason: error.reason });
    this.log.warn({ msg: 'speed rejected input', ...error.toJSON() });
    return rejection(error);
  }
}
