/**
 * The ingest service: validate each CloudEvent, group-commit valid events into the raw Parquet lake,
 * dead-letter the rest, and answer only once what was received is durable.
 *
 * - 204: the event is in the lake (its file is written).
 * - 4xx (errors.ts contract): the input is in the dead-letter store with its reason.
 * - 503: the lake or the dead-letter store could not be written; nothing was acknowledged; retry.
 */
import type { ObjectStore } from '@ula/core/adapters/object-store';
import { type Clock, systemClock } from '@ula/core/clock';
import { EventValidationError, validateEvent } from '@ula/core/events/catalogue';
import type { LmsEvent } from '@ula/core/events/envelope';
import { ClosedError, GroupCommit, type Outcome } from '@ula/core/group-commit';
import { bodyText, decodeCloudEvent, type FunctionRequest, flatHeaders } from '@ula/core/http/cloudevents';
import {
  type JsonResponse,
  methodNotAllowed,
  rejection,
  UnavailableError,
  unavailable,
} from '@ula/core/http/errors';
import type { FastifyLikeError } from '@ula/core/http/runtime';
import { type DeadLetter, writeDeadLetters } from '@ula/core/lake/dead-letter';
import { toPersonalDataRow, writePersonalData } from '@ula/core/lake/personal-data';
import { groupRawEvents, rawGroupKey, writeRawGroup } from '@ula/core/lake/raw-lake';
import { type PersonalRecord, protectEvent, redactPersonalText } from '@ula/core/privacy/personal';
import type { IngestMetrics } from './metrics.ts';
import type { IngestSettings } from './settings.ts';

/** A validated event as the lake keeps it, and its personal fields when `ULA_PII=store` keeps them. */
interface AcceptedEvent {
  event: LmsEvent;
  personal: PersonalRecord | undefined;
}

export class Ingest {
  private readonly events: GroupCommit<AcceptedEvent>;
  private readonly deadLetters: GroupCommit<DeadLetter>;

  constructor(
    readonly store: ObjectStore,
    readonly settings: IngestSettings,
    readonly metrics: IngestMetrics,
    private readonly clock: Clock = systemClock,
  ) {
    const common = {
      maxItems: settings.maxEvents,
      maxAgeMs: settings.maxAgeMs,
      maxInFlight: settings.maxInFlight,
      idleMs: settings.idleMs,
      lingerMs: settings.lingerMs,
      clock,
    };
    this.events = new GroupCommit<AcceptedEvent>({ ...common, flush: (batch) => this.flushEvents(batch) });
    this.deadLetters = new GroupCommit<DeadLetter>({
      ...common,
      flush: (batch) => this.flushDeadLetters(batch),
    });
  }

  /** Handles one request (faas-js-runtime context: method, headers, body). */
  async handle(request: FunctionRequest): Promise<JsonResponse | undefined> {
    const method = request.method ?? 'POST';
    if (method !== 'POST') return methodNotAllowed(method);
    let event: LmsEvent;
    try {
      event = validateEvent(decodeCloudEvent(request));
    } catch (error) {
      if (error instanceof EventValidationError) return this.reject(request, error);
      throw error;
    }
    // Validated whole; from here on only what may be kept (docs/privacy.md).
    const accepted = protectEvent(event, this.settings.privacy);
    try {
      await this.events.submit(accepted);
    } catch (error) {
      return unavailable(this.unavailableError('raw lake', error));
    }
    this.metrics.accepted.inc({ type: event.eventType });
    return undefined;
  }

  /** A request the runtime refused before the function ran (e.g. body too large). */
  async handleRequestError(request: FunctionRequest, error: FastifyLikeError): Promise<JsonResponse> {
    const status = error.statusCode ?? 400;
    const reason =
      status === 413
        ? new EventValidationError('too_large', 'body', error.message)
        : new EventValidationError('not_a_cloudevent', 'request', error.message);
    return this.reject(request, reason);
  }

  private async reject(request: FunctionRequest, error: EventValidationError): Promise<JsonResponse> {
    const answer = rejection(error);
    const headers = flatHeaders(request.headers);
    const type = headers['ce-type'] ?? '';
    const record: DeadLetter = {
      received_at: new Date(this.clock.now()).toISOString(),
      reason: error.reason,
      field: error.field,
      rule: error.rule,
      message: error.message,
      status: answer.statusCode,
      headers,
      // Personal values are not kept, even of a rejected event (docs/privacy.md).
      body: redactPersonalText(bodyText(request.body)),
      ...(headers['ce-id'] !== undefined ? { event_id: headers['ce-id'] } : {}),
      ...(type !== '' ? { event_type: type } : {}),
    };
    try {
      await this.deadLetters.submit(record);
    } catch (e) {
      return unavailable(this.unavailableError('dead-letter store', e));
    }
    this.metrics.rejected.inc({ reason: error.reason, type });
    return answer;
  }

  private unavailableError(what: string, error: unknown): UnavailableError {
    if (error instanceof ClosedError) return new UnavailableError('ingest is shutting down', error);
    return new UnavailableError(`${what} not writable: ${(error as Error).message ?? error}`, error);
  }

  private async flushEvents(accepted: AcceptedEvent[]): Promise<Outcome<void>[]> {
    const started = process.hrtime.bigint();
    this.metrics.flushEvents.observe(accepted.length);
    const ingestTime = new Date(this.clock.now());
    const personal = accepted.flatMap((a) => (a.personal ? [toPersonalDataRow(a.personal, ingestTime)] : []));
    if (personal.length > 0) {
      // Before the raw files: an event is acknowledged only once everything kept of it is durable.
      try {
        for (const { bytes } of await writePersonalData(this.store, personal)) {
          this.metrics.filesWritten.inc({ kind: 'personal' });
          this.metrics.bytesWritten.inc({ kind: 'personal' }, bytes);
        }
      } catch (error) {
        this.metrics.storeErrors.inc({ kind: 'personal' });
        throw error;
      }
    }
    const batch = accepted.map((a) => a.event);
    const groups = groupRawEvents(batch);
    const results = new Map<string, Outcome<void>>();
    await Promise.all(
      [...groups.entries()].map(async ([groupKey, group]) => {
        try {
          const { bytes } = await writeRawGroup(this.store, group, ingestTime);
          this.metrics.fileEvents.observe({ kind: 'raw' }, group.events.length);
          this.metrics.filesWritten.inc({ kind: 'raw' });
          this.metrics.bytesWritten.inc({ kind: 'raw' }, bytes);
          results.set(groupKey, { ok: true, value: undefined });
        } catch (error) {
          this.metrics.storeErrors.inc({ kind: 'raw' });
          results.set(groupKey, {
            ok: false,
            error: new Error(`${rawGroupKey(group)}: ${(error as Error).message}`),
          });
        }
      }),
    );
    this.metrics.flushSeconds.observe({ kind: 'raw' }, Number(process.hrtime.bigint() - started) / 1e9);
    return batch.map((e) => {
      const t = e.time;
      return results.get(`${e.category}/${t.slice(0, 10)}/${t.slice(11, 13)}`)!;
    });
  }

  private async flushDeadLetters(batch: DeadLetter[]): Promise<Outcome<void>[]> {
    const started = process.hrtime.bigint();
    let files: { bytes: number }[];
    try {
      files = await writeDeadLetters(this.store, batch);
    } catch (error) {
      this.metrics.storeErrors.inc({ kind: 'dead_letter' });
      throw error;
    } finally {
      this.metrics.flushSeconds.observe(
        { kind: 'dead_letter' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
    this.metrics.fileEvents.observe({ kind: 'dead_letter' }, batch.length);
    for (const { bytes } of files) {
      this.metrics.filesWritten.inc({ kind: 'dead_letter' });
      this.metrics.bytesWritten.inc({ kind: 'dead_letter' }, bytes);
    }
    return batch.map(() => ({ ok: true, value: undefined }));
  }

  get pending(): number {
    return this.events.pendingCount + this.deadLetters.pendingCount;
  }

  /** Lake writes running now. */
  get flushing(): number {
    return this.events.flushing + this.deadLetters.flushing;
  }

  /** Flushes what is pending and refuses new work (graceful shutdown). */
  async close(): Promise<void> {
    await Promise.all([this.events.close(), this.deadLetters.close()]);
  }

  /** Throws when the lake is not reachable. */
  async health(): Promise<void> {
    await this.store.health();
  }
}
