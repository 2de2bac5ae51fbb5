/**
 * What of an event may be kept (docs/privacy.md). Ingest has validated the event whole; `protectEvent` then
 * splits it into what the lake and the views get — no personal field, user ids pseudonymised when
 * `ULA_PSEUDONYMIZE=hmac` — and the personal fields, which only the restricted table keeps, and only with
 * `ULA_PII=store`. No view reads a personal field (scripts/tools/test/personal-data.test.ts proves it), so
 * dropping them changes no view.
 */
import { definitionOf } from '../events/catalogue.ts';
import { personalFieldsOf, userIdFieldsOf } from '../events/define.ts';
import { cloudEventType, type LmsEvent } from '../events/envelope.ts';
import { privacy, readSettings } from '../settings.ts';
import { type Pseudonymize, userIdPseudonymizer } from './pseudonym.ts';

/**
 * Field names that say they hold contact or identity details. Events are loose objects (an LMS may send
 * fields the catalogue does not declare), so such undeclared fields are treated as personal too; the API
 * drops them from every row it serves as a second guard.
 */
const personalNames = new Set([
  'email',
  'email_address',
  'phone',
  'phone_number',
  'mobile',
  'full_name',
  'fullname',
  'name',
  'first_name',
  'last_name',
  'display_name',
  'date_of_birth',
  'dob',
  'birth_date',
  'birthday',
  'gender',
  'address',
  'home_address',
  'picture_url',
]);

export const isPersonalFieldName = (name: string): boolean => {
  const lower = name.toLowerCase();
  return personalNames.has(lower) || lower.endsWith('_email') || lower.endsWith('_phone');
};

export interface PrivacyPolicy {
  /** `store`: keep personal fields in the restricted table; `drop`: keep them nowhere. */
  pii: 'drop' | 'store';
  /** Undefined: user ids are kept as sent. */
  pseudonymize: Pseudonymize | undefined;
}

export function privacyPolicy(env: NodeJS.ProcessEnv = process.env): PrivacyPolicy {
  const { pii } = readSettings(env, { pii: privacy.pii });
  return { pii, pseudonymize: userIdPseudonymizer(env) };
}

/** The personal fields of one event, for the restricted table. */
export interface PersonalRecord {
  /** The user id as the views know it (the pseudonym when pseudonymised). */
  userId: string;
  /** The id as sent, only when pseudonymised (so the restricted table can resolve a pseudonym). */
  originalUserId: string | null;
  event: LmsEvent;
  fields: Record<string, unknown>;
}

const personalFieldsByType = new Map<string, ReadonlySet<string>>();
const userIdFieldsByType = new Map<string, readonly string[]>();

function fieldsOfType(event: LmsEvent): { personal: ReadonlySet<string>; userIds: readonly string[] } {
  const type = cloudEventType(event.category, event.eventType);
  let personal = personalFieldsByType.get(type);
  let userIds = userIdFieldsByType.get(type);
  if (personal === undefined || userIds === undefined) {
    const definition = definitionOf(type);
    personal = new Set(definition ? personalFieldsOf(definition) : []);
    userIds = definition ? userIdFieldsOf(definition) : ['user_id'];
    personalFieldsByType.set(type, personal);
    userIdFieldsByType.set(type, userIds);
  }
  return { personal, userIds };
}

/**
 * The event as the lake and the views may keep it, and its personal fields for the restricted table
 * (undefined when it has none, or with `ULA_PII=drop`).
 * Returns the same object when nothing changes (most events: no personal field, no pseudonymisation).
 */
export function protectEvent(
  event: LmsEvent,
  policy: PrivacyPolicy,
): { event: LmsEvent; personal: PersonalRecord | undefined } {
  const { personal, userIds } = fieldsOfType(event);
  let data: Record<string, unknown> | undefined;
  let fields: Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(event.data)) {
    if (!personal.has(name) && !isPersonalFieldName(name)) continue;
    data ??= { ...event.data };
    delete data[name];
    if (value === undefined) continue;
    fields ??= {};
    fields[name] = value;
  }
  const pseudonymize = policy.pseudonymize;
  if (pseudonymize !== undefined) {
    for (const name of userIds) {
      const value = event.data[name as 'user_id'];
      if (typeof value !== 'string') continue;
      data ??= { ...event.data };
      data[name] = pseudonymize(value);
    }
  }
  const protectedEvent = data === undefined ? event : { ...event, data: data as LmsEvent['data'] };
  if (fields === undefined || policy.pii === 'drop') return { event: protectedEvent, personal: undefined };
  return {
    event: protectedEvent,
    personal: {
      userId: protectedEvent.data.user_id,
      originalUserId: pseudonymize !== undefined ? event.data.user_id : null,
      event: protectedEvent,
      fields,
    },
  };
}

const removed = '[personal data removed]';
/** `"name": "value"` pairs in text that is not (or not whole) JSON, e.g. a truncated event. */
const quotedPair = /"([A-Za-z_]+)"(\s*:\s*)"(?:[^"\\]|\\.)*("?)/g;
const emailAddress = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Text that does not parse: personal-named string values and anything shaped like an e-mail address go. */
function redactPersonalFragments(text: string): string {
  return text
    .replace(quotedPair, (pair, name: string, colon: string, close: string) =>
      isPersonalFieldName(name) ? `"${name}"${colon}"${removed}${close}` : pair,
    )
    .replace(emailAddress, removed);
}

/**
 * A rejected request's body as the dead-letter store may keep it: when it is JSON, every field whose name
 * says it is personal (at any depth) has its value replaced, so a malformed profile event does not leave an
 * e-mail or a name in the lake; everything needed to tell why it was rejected stays. Text that is not JSON
 * (a truncated event) loses its personal-named string values and anything shaped like an e-mail address.
 */
export function redactPersonalText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return redactPersonalFragments(body);
  }
  let changed = false;
  const redact = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(redact);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value)) {
      if (isPersonalFieldName(name)) {
        out[name] = removed;
        changed = true;
      } else out[name] = redact(inner);
    }
    return out;
  };
  const redacted = redact(parsed);
  return changed ? JSON.stringify(redacted) : body;
}
