/**
 * StatementMapper: one validated, stored statement → 0..n catalogue events, by the rules of rules.ts.
 * Event ids derive from the statement id and the event's index (a resent statement gives the same ids), the
 * event time is the statement's timestamp in RFC 3339 UTC with milliseconds, and every event passes
 * validateEvent, so what leaves here is exactly what ingest and speed accept. Stateful only for the Video
 * Profile's played → paused pairs (video.ts, bounded per process).
 */
import { EventValidationError, validateEvent } from '../events/catalogue.ts';
import { cloudEventSource, type LmsEvent, type Role } from '../events/envelope.ts';
import { eventIdOf, userIdOf } from './identity.ts';
import {
  definitionNamed,
  type MappingOptions,
  type MappingRule,
  mappingRules,
  roleOf,
  type StoredStatement,
  Unmappable,
} from './rules.ts';
import { defaultMaxOpenSessions, PlayPairs } from './video.ts';

export type { MappingOptions, StoredStatement } from './rules.ts';

export interface MappedStatement {
  /** Validated catalogue events (may be empty). */
  events: LmsEvent[];
  /** Name of the rule that matched; undefined = unmapped. */
  rule: string | undefined;
  /** Verb IRI. */
  verb: string;
  /** object.definition.type, '' when absent. */
  activityType: string;
  /** The mapped user id of the actor. */
  userId: string | undefined;
  /** Why the statement is unmapped: no rule matched, or which field the matched rule could not fill. */
  reason?: string;
}

export class StatementMapper {
  private readonly pairs: PlayPairs;

  constructor(
    private readonly options: MappingOptions,
    limits: { maxOpenVideoSessions?: number } = {},
  ) {
    this.pairs = new PlayPairs(limits.maxOpenVideoSessions ?? defaultMaxOpenSessions);
  }

  /** Open video sessions remembered for the pair fallback. */
  get openVideoSessions(): number {
    return this.pairs.size;
  }

  map(statement: StoredStatement): MappedStatement {
    const verb = statement.verb.id;
    const activityType =
      statement.object.objectType === 'Activity' ? (statement.object.definition?.type ?? '') : '';
    const userId = userIdOf(statement.actor, this.options);
    const base = { verb, activityType, userId };
    const rule = mappingRules.find((r) => r.matches(statement, this.options));
    if (!rule)
      return { ...base, events: [], rule: undefined, reason: 'no rule matches this verb and object' };
    try {
      return { ...base, events: this.eventsOf(rule, statement, userId), rule: rule.name };
    } catch (error) {
      if (error instanceof Unmappable)
        return { ...base, events: [], rule: undefined, reason: `${rule.name}: ${error.message}` };
      if (error instanceof EventValidationError) {
        return {
          ...base,
          events: [],
          rule: undefined,
          reason: `${rule.name}: ${error.field}: ${error.rule}`,
        };
      }
      throw error;
    }
  }

  private eventsOf(rule: MappingRule, statement: StoredStatement, userId: string | undefined): LmsEvent[] {
    const timeMs = Date.parse(statement.timestamp);
    if (Number.isNaN(timeMs)) throw new Unmappable(`timestamp "${statement.timestamp}" is not a date-time`);
    const time = new Date(timeMs).toISOString();
    const derived = rule.map({ statement, options: this.options, actorId: userId, pairs: this.pairs });
    return derived.map((event, index) => {
      const definition = definitionNamed(event.eventType);
      const role: Role = roleOf(statement, definition, this.options.defaultRole);
      return validateEvent({
        id: eventIdOf(statement.id, index, timeMs),
        type: definition.cloudEventType,
        source: cloudEventSource(definition.category),
        subject: event.userId,
        time,
        data: { user_id: event.userId, role, ...event.fields },
      });
    });
  }
}
