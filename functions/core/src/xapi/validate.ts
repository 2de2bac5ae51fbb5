/**
 * Validation of xAPI statements as an LRS receives them (xAPI 1.0.3 Data §2.2-2.4 and IEEE 9274.1.1 / xAPI 2.0):
 * every rule that makes a statement invalid gives an XapiError (HTTP 400) naming the JSON path of the
 * offending value (`statements[3].result.score.scaled`). The result is the normalised Statement of
 * statement.ts: `objectType` defaults filled in, `contextActivities` members as arrays, UUIDs lower-case,
 * timestamps as UTC instants with milliseconds (the normalisations the spec's immutability rules allow).
 *
 * Also here: the version header (parseVersion), the statement's id (statementIdOf: its own, or a UUID derived
 * from its content so a resend is the same statement) and the content hash the LRS compares a resent id by
 * (contentHash: the spec's statement comparison rules).
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { uuidPattern } from '../events/define.ts';
import type { Statement, XapiVersion } from './statement.ts';

/** A request the LRS refuses: `status` is the HTTP answer, `field` the JSON path (or header) at fault. */
export class XapiError extends Error {
  override readonly name = 'XapiError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413,
    readonly error: string,
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }

  /** The JSON error body (the functions' contract: http/errors.ts). */
  toJSON(): { error: string; field: string; rule: string; message: string } {
    return { error: this.error, field: this.field, rule: this.rule, message: this.message };
  }
}

const invalid = (field: string, rule: string, message = `${field}: ${rule}`): XapiError =>
  new XapiError(400, 'invalid_statement', field, rule, message);

/**
 * The `X-Experience-API-Version` request header: any 1.0.x (and `1.0`) is xAPI 1.0.3, any 2.0.x is xAPI 2.0;
 * missing or another version is a 400.
 */
export function parseVersion(header: string | readonly string[] | undefined): XapiVersion {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '')
    throw new XapiError(
      400,
      'missing_version',
      'X-Experience-API-Version',
      'required',
      'the header X-Experience-API-Version is required (1.0.x or 2.0.x)',
    );
  if (/^1\.0(\.\d+)?$/.test(value)) return '1.0';
  if (/^2\.0(\.\d+)?$/.test(value)) return '2.0';
  throw new XapiError(
    400,
    'unsupported_version',
    'X-Experience-API-Version',
    'one of 1.0.x, 2.0.x',
    `X-Experience-API-Version ${value} is not supported: send 1.0.x or 2.0.x`,
  );
}

/** The version this LRS answers with in its `X-Experience-API-Version` header. */
export const responseVersion = (version: XapiVersion | undefined): string =>
  version === '2.0' ? '2.0.0' : '1.0.3';

// ---- value rules ------------------------------------------------------------------------------------------

/** An absolute IRI: a scheme, a colon, no white space (RFC 3987 in the spirit the spec's tests check). */
const iriPattern = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;
/** RFC 5646 language tag (its syntax, not the registry). */
const languageTagPattern = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
/** ISO 8601 duration (Data §4.6), with decimal fractions. */
const durationPattern =
  /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/;
/** ISO 8601 date-time (extended format) with an optional zone: Z, ±HH, ±HHMM or ±HH:MM. */
const timestampPattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, what Date#toISOString writes for years 0-9999. */
const canonicalUtcPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The UTC instant of an ISO 8601 timestamp (ms precision); undefined when it is not one or has no zone and one is required. */
export function parseTimestamp(text: string, zoneRequired: boolean): Date | undefined {
  // Most clients send the canonical UTC form (toISOString's): taken as is when it reads back the same.
  if (canonicalUtcPattern.test(text)) {
    const instant = new Date(text);
    if (!Number.isNaN(instant.getTime()) && instant.toISOString() === text) return instant;
  }
  const m = timestampPattern.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  if (zone === undefined && zoneRequired) return undefined;
  // The spec forbids a negative zero offset (it would claim an unknown zone).
  if (zone !== undefined && /^-00(:?00)?$/.test(zone)) return undefined;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[];
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || second! > 60)
    return undefined;
  const ms = Number(`0.${frac || '0'}`) * 1000;
  let utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, Math.floor(ms));
  if (new Date(Date.UTC(year!, month! - 1, day!)).getUTCDate() !== day) return undefined;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
    utc -= sign * offsetMinutes * 60_000;
  }
  return new Date(utc);
}

const iri = z.string().regex(iriPattern, 'must be an absolute IRI');
const uuid = z
  .string()
  .regex(uuidPattern, 'must be a UUID')
  .transform((s) => s.toLowerCase());
const languageMap = z.record(
  z.string().regex(languageTagPattern, 'must be an RFC 5646 language tag'),
  z.string(),
);
const extensions = z.record(iri, z.unknown());
const timestamp = (zoneRequired: boolean) =>
  z.string().transform((text, ctx) => {
    const instant = parseTimestamp(text, zoneRequired);
    if (instant === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: zoneRequired
          ? 'must be an ISO 8601 timestamp with a time zone (Z or ±hh:mm, not -00:00)'
          : 'must be an ISO 8601 timestamp (not -00:00)',
      });
      return z.NEVER;
    }
    return instant.toISOString();
  });

const account = z.strictObject({ homePage: iri, name: z.string() });
const ifiFields = {
  mbox: z
    .string()
    .regex(/^mailto:[^@\s]+@[^@\s]+$/, 'must be a mailto: IRI of an e-mail address')
    .optional(),
  mbox_sha1sum: z
    .string()
    .regex(/^[0-9a-f]{40}$/i, 'must be the hex SHA-1 of a mailto: IRI')
    .optional(),
  openid: iri.optional(),
  account: account.optional(),
};
const ifiNames = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;
const ifiCount = (value: Record<string, unknown>): number =>
  ifiNames.filter((k) => value[k] !== undefined).length;

/** Fills the spec's default `objectType` before the union picks a schema by it. */
const defaultObjectType = <T extends z.ZodType>(objectType: string, schema: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) && !('objectType' in value)
        ? { objectType, ...value }
        : value,
    schema,
  );

const agent = z
  .strictObject({ objectType: z.literal('Agent'), name: z.string().optional(), ...ifiFields })
  .superRefine((value, ctx) => {
    if (ifiCount(value) !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'an Agent needs exactly one identifier of mbox, mbox_sha1sum, openid, account',
      });
  });
const defaultedAgent = defaultObjectType('Agent', agent);

const group = z
  .strictObject({
    objectType: z.literal('Group'),
    name: z.string().optional(),
    member: z.array(defaultedAgent).optional(),
    ...ifiFields,
  })
  .superRefine((value, ctx) => {
    const ifis = ifiCount(value);
    if (ifis > 1) ctx.addIssue({ code: 'custom', message: 'an identified Group has exactly one identifier' });
    if (ifis === 0 && (value.member === undefined || value.member.length === 0))
      ctx.addIssue({ code: 'custom', message: 'an anonymous Group (no identifier) needs its member list' });
  });

const actor = defaultObjectType('Agent', z.discriminatedUnion('objectType', [agent, group]));

const verb = z.strictObject({ id: iri, display: languageMap.optional() });

const interactionComponent = z.strictObject({ id: z.string().min(1), description: languageMap.optional() });
const interactionTypes = [
  'true-false',
  'choice',
  'fill-in',
  'long-fill-in',
  'matching',
  'performance',
  'sequencing',
  'likert',
  'numeric',
  'other',
] as const;
const activityDefinition = z.strictObject({
  name: languageMap.optional(),
  description: languageMap.optional(),
  type: iri.optional(),
  moreInfo: iri.optional(),
  extensions: extensions.optional(),
  interactionType: z.enum(interactionTypes).optional(),
  correctResponsesPattern: z.array(z.string()).optional(),
  choices: z.array(interactionComponent).optional(),
  scale: z.array(interactionComponent).optional(),
  source: z.array(interactionComponent).optional(),
  target: z.array(interactionComponent).optional(),
  steps: z.array(interactionComponent).optional(),
});
const activity = z.strictObject({
  objectType: z.literal('Activity'),
  id: iri,
  definition: activityDefinition.optional(),
});
const defaultedActivity = defaultObjectType('Activity', activity);
const statementRef = z.strictObject({ objectType: z.literal('StatementRef'), id: uuid });

const score = z
  .strictObject({
    scaled: z.number().min(-1).max(1).optional(),
    raw: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.min !== undefined && s.max !== undefined && s.min >= s.max)
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be greater than min' });
    if (s.raw !== undefined && s.min !== undefined && s.raw < s.min)
      ctx.addIssue({ code: 'custom', path: ['raw'], message: 'must not be below min' });
    if (s.raw !== undefined && s.max !== undefined && s.raw > s.max)
      ctx.addIssue({ code: 'custom', path: ['raw'], message: 'must not be above max' });
  });
const result = z.strictObject({
  score: score.optional(),
  success: z.boolean().optional(),
  completion: z.boolean().optional(),
  response: z.string().optional(),
  duration: z.string().regex(durationPattern, 'must be an ISO 8601 duration').optional(),
  extensions: extensions.optional(),
});

/** A contextActivities member: one Activity or an array of them, always an array after validation. */
const activities = z
  .union([z.array(defaultedActivity), defaultedActivity])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const contextActivities = z.strictObject({
  parent: activities.optional(),
  grouping: activities.optional(),
  category: activities.optional(),
  other: activities.optional(),
});

const context = (version: XapiVersion) =>
  z.strictObject({
    registration: uuid.optional(),
    instructor: actor.optional(),
    team: group.optional(),
    contextActivities: contextActivities.optional(),
    revision: z.string().optional(),
    platform: z.string().optional(),
    language: z.string().regex(languageTagPattern, 'must be an RFC 5646 language tag').optional(),
    statement: statementRef.optional(),
    extensions: extensions.optional(),
    // xAPI 2.0 only: in 1.0.x they are unknown keys.
    ...(version === '2.0'
      ? {
          contextAgents: z
            .array(
              z.strictObject({
                objectType: z.literal('contextAgent'),
                agent: defaultedAgent,
                relevantTypes: z.array(iri).min(1).optional(),
              }),
            )
            .optional(),
          contextGroups: z
            .array(
              z.strictObject({
                objectType: z.literal('contextGroup'),
                group,
                relevantTypes: z.array(iri).min(1).optional(),
              }),
            )
            .optional(),
        }
      : {}),
  });

const attachment = z.strictObject({
  usageType: iri,
  display: languageMap,
  description: languageMap.optional(),
  contentType: z.string().min(1),
  length: z.number().int().nonnegative(),
  sha2: z
    .string()
    .regex(/^[0-9a-f]{56}$|^[0-9a-f]{64}$|^[0-9a-f]{96}$|^[0-9a-f]{128}$/i, 'must be a hex SHA-2'),
  fileUrl: iri.optional(),
});

const voided = 'http://adlnet.gov/expapi/verbs/voided';

/** Rules across fields of a statement or sub-statement (Data §2.4.6: revision/platform; §2.3.2: voiding). */
function crossFieldRules(
  s: {
    verb: { id: string };
    object: { objectType?: string };
    context?: { revision?: string; platform?: string };
  },
  ctx: z.RefinementCtx,
): void {
  const isActivity = s.object.objectType === 'Activity';
  if (!isActivity && s.context?.revision !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['context', 'revision'],
      message: 'only allowed when the object is an Activity',
    });
  if (!isActivity && s.context?.platform !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['context', 'platform'],
      message: 'only allowed when the object is an Activity',
    });
  if (s.verb.id === voided && s.object.objectType !== 'StatementRef')
    ctx.addIssue({
      code: 'custom',
      path: ['object'],
      message: 'a voiding statement must have a StatementRef object',
    });
}

const schemas = (version: XapiVersion) => {
  const zoneRequired = version === '2.0';
  const subStatement = z
    .strictObject({
      objectType: z.literal('SubStatement'),
      actor,
      verb,
      object: defaultObjectType(
        'Activity',
        z.discriminatedUnion('objectType', [activity, agent, group, statementRef]),
      ),
      result: result.optional(),
      context: context(version).optional(),
      timestamp: timestamp(zoneRequired).optional(),
      attachments: z.array(attachment).optional(),
    })
    .superRefine(crossFieldRules);
  return z
    .strictObject({
      id: uuid.optional(),
      actor,
      verb,
      object: defaultObjectType(
        'Activity',
        z.discriminatedUnion('objectType', [activity, agent, group, statementRef, subStatement]),
      ),
      result: result.optional(),
      context: context(version).optional(),
      timestamp: timestamp(zoneRequired).optional(),
      stored: timestamp(zoneRequired).optional(),
      authority: actor.optional(),
      version: z
        .string()
        .regex(/^(1\.0|2\.0)\.\d+$/, 'must be 1.0.x or 2.0.x')
        .optional(),
      attachments: z.array(attachment).optional(),
    })
    .superRefine(crossFieldRules);
};
const statementSchemas: Record<XapiVersion, ReturnType<typeof schemas>> = {
  '1.0': schemas('1.0'),
  '2.0': schemas('2.0'),
};

// ---- errors -----------------------------------------------------------------------------------------------

/** `statements[3].result.score.scaled` from a base and zod's path. */
function pathText(base: string, path: readonly PropertyKey[]): string {
  let text = base;
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return text;
}

/**
 * The path of the first null outside `extensions` (the spec: no property may be null, extension values
 * aside). The path is built only on the way back from a null: the search allocates nothing.
 */
function firstNull(value: unknown): PropertyKey[] | undefined {
  if (value === null) return [];
  if (typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNull(value[i]);
      if (found) {
        found.unshift(i);
        return found;
      }
    }
    return undefined;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const member = object[key];
    if (key === 'extensions') {
      // Extension values may be null; the map itself may not.
      if (member === null) return [key];
      continue;
    }
    const found = firstNull(member);
    if (found) {
      found.unshift(key);
      return found;
    }
  }
  return undefined;
}

/** The most specific issue: a union's nested issue when it has one. */
function deepestIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const nested = issue.errors
      .flat()
      .map((inner) => deepestIssue(inner))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (nested) return { path: [...issue.path, ...nested.path], message: nested.message };
  }
  if (issue.code === 'unrecognized_keys')
    return { path: [...issue.path, issue.keys[0]!], message: 'unknown property' };
  return { path: [...issue.path], message: issue.message };
}

// ---- statements -------------------------------------------------------------------------------------------

/**
 * Validates one statement against the rules of `version` and returns it normalised. `path` names it in
 * errors (`statement`, or `statements[3]` inside a batch).
 */
export function validateStatement(input: unknown, version: XapiVersion, path = 'statement'): Statement {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid(path, 'must be a JSON object', `${path}: a statement must be a JSON object`);
  const nullAt = firstNull(input);
  if (nullAt) {
    const field = pathText(path, nullAt);
    throw invalid(field, 'must not be null', `${field}: null is not allowed (leave the property out)`);
  }
  const parsed = statementSchemas[version].safeParse(input);
  if (!parsed.success) {
    const { path: at, message } = deepestIssue(parsed.error.issues[0]!);
    const field = pathText(path, at);
    throw invalid(field, message, `${field}: ${message}`);
  }
  return parsed.data as Statement;
}

/**
 * The statements of a POST body (one statement or a non-empty array), each validated; all or nothing, as
 * the spec wants of a batch. Two statements with the same id in one batch are a 400 (Communication §2.1.1).
 */
export function validateStatementBatch(body: unknown, version: XapiVersion): Statement[] {
  if (!Array.isArray(body)) return [validateStatement(body, version)];
  if (body.length === 0) throw invalid('statements', 'must not be empty', 'statements: the array is empty');
  const statements = body.map((s, i) => validateStatement(s, version, `statements[${i}]`));
  const seen = new Map<string, number>();
  statements.forEach((s, i) => {
    if (s.id === undefined) return;
    const first = seen.get(s.id);
    if (first !== undefined)
      throw invalid(
        `statements[${i}].id`,
        'unique in the batch',
        `statements[${i}].id: ${s.id} is also the id of statements[${first}]`,
      );
    seen.set(s.id, i);
  });
  return statements;
}

// ---- identity and comparison ------------------------------------------------------------------------------

/**
 * The canonical text of `value`: JSON with object keys sorted (UTF-16 code unit order) at every level and
 * undefined members left out; with `sortMembers`, every `member` array (a Group's members are a set) in the
 * order of its elements' canonical texts. One pass, no copy of the value: the LRS takes it of every statement.
 */
function canonicalText(value: unknown, sortMembers: boolean, key?: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = value.map((item) => canonicalText(item, sortMembers));
    if (sortMembers && key === 'member') items.sort();
    return `[${items.join(',')}]`;
  }
  const object = value as Record<string, unknown>;
  let text = '{';
  for (const name of Object.keys(object).sort()) {
    const member = object[name];
    if (member === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(name)}:${canonicalText(member, sortMembers, name)}`;
  }
  return `${text}}`;
}

/** JSON with object keys sorted at every level: the canonical text hashes are taken of. */
export const canonicalJson = (value: unknown): string => canonicalText(value, false);

/**
 * SHA-256 (hex) of what makes a statement the same statement (Data §2.3.1, statement comparison): its
 * normalised content without `id`, `stored`, `authority` and `version`, key order and Group member order
 * ignored. Take it of the statement as received (before the LRS sets `timestamp`), so a resend matches.
 * The registry keeps these hashes: the text they are taken of must not change between releases.
 */
export function contentHash(statement: Statement): string {
  const { id: _id, stored: _stored, authority: _authority, version: _version, ...content } = statement;
  return hash('sha256', canonicalText(content, true), 'hex');
}

/**
 * The statement's id: its own, or a name-based UUID (version 8, RFC 9562 §5.8, from SHA-256) of its
 * content, so sending the same id-less statement twice names it twice the same. `hashOfContent`: its
 * contentHash when the caller has it already.
 */
export function statementIdOf(statement: Statement, hashOfContent?: string): string {
  if (statement.id !== undefined) return statement.id;
  const hex = hashOfContent ?? contentHash(statement);
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
