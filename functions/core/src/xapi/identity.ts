/**
 * Who and where a statement is about, without keeping personal data: the actor's stable user id, the course
 * the activity belongs to, and the stored (redacted) form of a statement.
 *
 * - User ids: an `account` on the configured home page keeps its `name` (the LMS's own user id); every other
 *   identity becomes a hashed id. `mbox` is hashed with SHA-1 exactly as the spec defines `mbox_sha1sum`
 *   (the hex SHA-1 of the `mailto:` IRI), so an actor sent once with `mbox` and once with the equal
 *   `mbox_sha1sum` gets the same id, and the address itself is never kept.
 * - Courses: from the object when it is a course, else the context's parent then grouping activities
 *   (Open edX `course-v1:` keys, Moodle `…/course/view.php?id=N`, the home page's `/courses/<id>`, or any
 *   activity typed as a course), else the platform's `course-id` extension, else the Open edX course of a
 *   `block-v1:` object.
 */
import { hash } from 'node:crypto';
import { idPattern } from '../events/define.ts';
import type {
  Activity,
  Actor,
  Agent,
  Context,
  Extensions,
  Group,
  Statement,
  StatementObject,
  SubStatement,
} from './statement.ts';
import { activityTypes, ula, ulaExtensions, withheldFields } from './vocabulary.ts';

export interface IdentityOptions {
  /** Accounts on this home page keep their `name` as the user id. */
  homePage: string;
}

// One-shot digests (crypto.hash): no Hash object per call, on the path of every statement.
const sha1 = (text: string) => hash('sha1', text, 'hex');
const sha256 = (text: string) => hash('sha256', text, 'hex');

const trimSlash = (iri: string) => iri.replace(/\/+$/, '');

/** The `mbox_sha1sum` of an `mbox` IRI (`mailto:…`), as xAPI 1.0.3 Data §2.4.2.3 defines it. */
export const mboxSha1sum = (mbox: string): string => sha1(mbox);

/** An account name that is an e-mail address is personal data: it is hashed like any foreign account. */
const looksLikeEmail = (text: string) => text.includes('@');

/** The stable user id of an Agent or identified Group; undefined for an anonymous Group (no single user). */
export function userIdOf(actor: Actor, options: IdentityOptions): string | undefined {
  if (actor.account) {
    const { homePage, name } = actor.account;
    if (
      trimSlash(homePage) === trimSlash(options.homePage) &&
      idPattern.test(name) &&
      !looksLikeEmail(name)
    ) {
      return name;
    }
    return `acct-${sha256(`${trimSlash(homePage)} ${name}`).slice(0, 40)}`;
  }
  if (actor.mbox !== undefined) return `sha1-${mboxSha1sum(actor.mbox)}`;
  if (actor.mbox_sha1sum !== undefined) return `sha1-${actor.mbox_sha1sum.toLowerCase()}`;
  if (actor.openid !== undefined) return `openid-${sha256(actor.openid).slice(0, 40)}`;
  return undefined;
}

/** A readable, stable catalogue id for an activity IRI: its last segment on the home page, else itself, else a hash. */
export function idOfIri(iri: string, options: IdentityOptions): string {
  const home = `${trimSlash(options.homePage)}/`;
  if (iri.startsWith(home)) {
    const last = iri.slice(home.length).split(/[/?#]/).filter(Boolean).at(-1);
    if (last !== undefined) {
      const decoded = safeDecode(last);
      if (idPattern.test(decoded)) return decoded;
    }
  }
  const module = moodleModule.exec(iri);
  if (module) return fitId(`${module[1]}:${module[2]}:${module[3]}`);
  return fitId(iri);
}

/** Moodle's activity pages, `…/mod/<module>/view.php?id=N`: `<host>:<module>:<N>` (e.g. `moodle.edu:quiz:7`). */
const moodleModule = /^https?:\/\/([^/?#]+)(?:\/[^?#]*)?\/mod\/([a-z0-9_]+)\/view\.php\?(?:[^#]*&)?id=(\d+)/;

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

const openEdxCourseKey = /(course-v1:[^/?#]+)$/;
const openEdxBlockKey = /block-v1:([^+/?#]+)\+([^+/?#]+)\+([^+/?#]+)\+type@/;
const moodleCourse = /^https?:\/\/([^/?#]+)(?:\/[^?#]*)?\/course\/view\.php\?(?:[^#]*&)?id=(\d+)/;

/** The course id an activity IRI names, when it names a course; undefined otherwise. */
export function courseIdOfIri(iri: string, options: IdentityOptions): string | undefined {
  const edx = openEdxCourseKey.exec(iri);
  if (edx?.[1]) return fitId(safeDecode(edx[1]));
  const moodle = moodleCourse.exec(iri);
  if (moodle) return fitId(`${moodle[1]}:course:${moodle[2]}`);
  const home = `${trimSlash(options.homePage)}/courses/`;
  if (iri.startsWith(home)) return idOfIri(iri, options);
  return undefined;
}

/** The id itself when it has the API's id form (events/define.ts idPattern), else `iri-` and its SHA-256. */
const fitId = (id: string) => (idPattern.test(id) ? id : `iri-${sha256(id).slice(0, 40)}`);

const courseTypes: readonly string[] = activityTypes.course;
const isCourse = (activity: Activity, options: IdentityOptions) =>
  courseTypes.includes(activity.definition?.type ?? '') || courseIdOfIri(activity.id, options) !== undefined;

const courseOfActivity = (activity: Activity, options: IdentityOptions) =>
  courseIdOfIri(activity.id, options) ?? idOfIri(activity.id, options);

/** The course a statement's activity belongs to (see the module comment for the order); undefined when none. */
export function courseIdOf(statement: Statement, options: IdentityOptions): string | undefined {
  const object = statement.object;
  if (object.objectType === 'Activity' && isCourse(object, options)) return courseOfActivity(object, options);
  const related = statement.context?.contextActivities;
  for (const activity of [...(related?.parent ?? []), ...(related?.grouping ?? [])]) {
    if (isCourse(activity, options)) return courseOfActivity(activity, options);
  }
  const declared = statement.context?.extensions?.[ulaExtensions.courseId];
  if (typeof declared === 'string' && declared.length > 0) return fitId(declared);
  if (object.objectType === 'Activity') {
    const block = openEdxBlockKey.exec(object.id);
    if (block) return fitId(`course-v1:${block[1]}+${block[2]}+${block[3]}`);
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------ redaction

const withheldExtensionKeys = new Set(Object.keys(withheldFields).map((field) => ula.extension(field)));

function redactExtensions(extensions: Extensions | undefined): Extensions | undefined {
  if (!extensions) return extensions;
  const out: Extensions = {};
  for (const [key, value] of Object.entries(extensions))
    if (!withheldExtensionKeys.has(key)) out[key] = value;
  return out;
}

function redactAgent(agent: Agent): Agent {
  const { name: _name, mbox, ...rest } = agent;
  const out: Agent = { ...rest };
  if (mbox !== undefined) out.mbox_sha1sum = mboxSha1sum(mbox);
  if (out.account && looksLikeEmail(out.account.name)) {
    out.account = { homePage: out.account.homePage, name: `acct-${sha256(out.account.name).slice(0, 40)}` };
  }
  return out;
}

function redactGroup(group: Group): Group {
  const { name: _name, mbox, member, ...rest } = group;
  const out: Group = { ...rest };
  if (mbox !== undefined) out.mbox_sha1sum = mboxSha1sum(mbox);
  if (out.account && looksLikeEmail(out.account.name)) {
    out.account = { homePage: out.account.homePage, name: `acct-${sha256(out.account.name).slice(0, 40)}` };
  }
  if (member) out.member = member.map(redactAgent);
  return out;
}

const redactActor = <A extends Actor>(actor: A): A =>
  (actor.objectType === 'Group' ? redactGroup(actor) : redactAgent(actor as Agent)) as A;

function redactContext(context: Context | undefined): Context | undefined {
  if (!context) return context;
  const out: Context = { ...context };
  if (context.instructor) out.instructor = redactActor(context.instructor);
  if (context.team) out.team = redactGroup(context.team);
  if (context.contextAgents) {
    out.contextAgents = context.contextAgents.map((a) => ({ ...a, agent: redactAgent(a.agent) }));
  }
  if (context.contextGroups) {
    out.contextGroups = context.contextGroups.map((g) => ({ ...g, group: redactGroup(g.group) }));
  }
  if (context.extensions) out.extensions = redactExtensions(context.extensions)!;
  return out;
}

function redactObject<O extends StatementObject>(object: O): O {
  switch (object.objectType) {
    case 'Agent':
    case 'Group':
      return redactActor(object) as O;
    case 'SubStatement': {
      const sub: SubStatement = {
        ...object,
        actor: redactActor(object.actor),
        object: redactObject(object.object),
      };
      const context = redactContext(object.context);
      if (context) sub.context = context;
      if (object.result?.extensions) {
        sub.result = { ...object.result, extensions: redactExtensions(object.result.extensions)! };
      }
      return sub as O;
    }
    case 'Activity': {
      const extensions = object.definition?.extensions;
      if (!extensions) return object;
      return { ...object, definition: { ...object.definition, extensions: redactExtensions(extensions)! } };
    }
    default:
      return object;
  }
}

/**
 * The stored form of a statement: every agent and group (actor, members, instructor, team, authority,
 * context agents and groups, agents as objects, sub-statements) without `name`, `mbox` replaced by its
 * `mbox_sha1sum`, account names that are e-mail addresses hashed, and the platform's withheld contact-data
 * extensions removed. Everything else is kept as sent.
 */
export function redactStatement<S extends Statement>(statement: S): S {
  const out: S = {
    ...statement,
    actor: redactActor(statement.actor),
    object: redactObject(statement.object),
  };
  const context = redactContext(statement.context);
  if (context) out.context = context;
  if (statement.authority) out.authority = redactActor(statement.authority);
  if (statement.result?.extensions) {
    out.result = { ...statement.result, extensions: redactExtensions(statement.result.extensions)! };
  }
  return out;
}

/** The keys by which xAPI identifies an agent or group (Data §2.4.2.1: exactly one on an identified one). */
const identifierKeys = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;

/**
 * With `ULA_PSEUDONYMIZE=hmac`: a redacted statement whose every identified agent or group (at any depth)
 * has its identifier replaced by an account on the home page named by the pseudonym of its user id, the
 * same pseudonym ingest gives that user's events, so the stored statement holds no re-identifiable
 * identifier (an `mbox_sha1sum` is an unkeyed hash of the address).
 */
export function pseudonymizeStatement<S extends Statement>(
  statement: S,
  pseudonymize: (userId: string) => string,
  options: IdentityOptions,
): S {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(record)) out[key] = walk(inner);
    if (identifierKeys.some((key) => record[key] !== undefined)) {
      const userId = userIdOf(record as unknown as Actor, options);
      if (userId !== undefined) {
        for (const key of identifierKeys) delete out[key];
        out['account'] = { homePage: options.homePage, name: pseudonymize(userId) };
      }
    }
    return out;
  };
  return walk(statement) as S;
}

// ------------------------------------------------------------------------------------------ derived ids

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const formatUuid = (bytes: Uint8Array) => {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** The namespace of the platform's name-based UUIDs (RFC 9562 v5). */
const platformNamespace = Buffer.from('5b1f8a3c9d2e4f60a7b8c9d0e1f2a3b4', 'hex');

/** A name-based UUID (v5, SHA-1) in the platform's namespace: the same name always gives the same UUID. */
export function nameUuid(name: string): string {
  const digest = hash('sha1', Buffer.concat([platformNamespace, Buffer.from(name, 'utf8')]), 'buffer');
  const bytes = new Uint8Array(digest.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return formatUuid(bytes);
}

/** A session id as the catalogue wants it (a UUID): a UUID is kept (lower case), any other text gets its name-based UUID. */
export const sessionUuidOf = (value: string): string =>
  uuidPattern.test(value) ? value.toLowerCase() : nameUuid(`session ${value}`);

/**
 * The id of the `index`-th event derived from a statement: a UUID v7 whose first 48 bits are the event time's
 * milliseconds and whose other bits come from SHA-256 of (statement id, index), so a resent statement gives
 * the same event ids and the events' own dedup downstream holds.
 */
export function eventIdOf(statementId: string, index: number, timeMs: number): string {
  const digest = hash('sha256', `${statementId.toLowerCase()}#${index}`, 'buffer');
  const bytes = new Uint8Array(16);
  let ms = timeMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (digest[0]! & 0x0f);
  bytes[7] = digest[1]!;
  bytes[8] = 0x80 | (digest[2]! & 0x3f);
  for (let i = 9; i < 16; i++) bytes[i] = digest[i - 6]!;
  return formatUuid(bytes);
}
