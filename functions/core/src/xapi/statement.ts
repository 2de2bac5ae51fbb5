/**
 * The xAPI statement as this platform reads it (xAPI 1.0.3 Data §2.4 and IEEE 9274.1.1 / xAPI 2.0):
 * the TypeScript shape of a statement AFTER validation (validate.ts), which normalises what the spec lets
 * vary: `contextActivities` members are always arrays, and `objectType` is filled where the spec gives a
 * default (`Agent` for actors, `Activity` for objects). Everything the mapping (mapping.ts) and the raw
 * statement store read comes from this one shape.
 */

/** A language map (`{"en-US": "..."}`). */
export type LanguageMap = Record<string, string>;
/** Extension keys are IRIs; values are any JSON. */
export type Extensions = Record<string, unknown>;

export interface Account {
  homePage: string;
  name: string;
}

/** An Agent is identified by exactly one inverse functional identifier (IFI): mbox, mbox_sha1sum, openid or account. */
export interface Agent {
  objectType: 'Agent';
  name?: string;
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  account?: Account;
}

/** A Group: identified (one IFI) or anonymous (members only). */
export interface Group {
  objectType: 'Group';
  name?: string;
  member?: Agent[];
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  account?: Account;
}

export type Actor = Agent | Group;

export interface Verb {
  id: string;
  display?: LanguageMap;
}

export interface InteractionComponent {
  id: string;
  description?: LanguageMap;
}

export interface ActivityDefinition {
  name?: LanguageMap;
  description?: LanguageMap;
  type?: string;
  moreInfo?: string;
  extensions?: Extensions;
  interactionType?: string;
  correctResponsesPattern?: string[];
  choices?: InteractionComponent[];
  scale?: InteractionComponent[];
  source?: InteractionComponent[];
  target?: InteractionComponent[];
  steps?: InteractionComponent[];
}

export interface Activity {
  objectType: 'Activity';
  id: string;
  definition?: ActivityDefinition;
}

export interface StatementRef {
  objectType: 'StatementRef';
  id: string;
}

export interface SubStatement {
  objectType: 'SubStatement';
  actor: Actor;
  verb: Verb;
  object: Activity | Agent | Group | StatementRef;
  result?: Result;
  context?: Context;
  timestamp?: string;
}

export type StatementObject = Activity | Agent | Group | StatementRef | SubStatement;

export interface Score {
  scaled?: number;
  raw?: number;
  min?: number;
  max?: number;
}

export interface Result {
  score?: Score;
  success?: boolean;
  completion?: boolean;
  response?: string;
  /** ISO 8601 duration. */
  duration?: string;
  extensions?: Extensions;
}

export interface ContextActivities {
  parent?: Activity[];
  grouping?: Activity[];
  category?: Activity[];
  other?: Activity[];
}

/** xAPI 2.0 `contextAgents` / `contextGroups` members. */
export interface ContextAgent {
  objectType: 'contextAgent';
  agent: Agent;
  relevantTypes?: string[];
}
export interface ContextGroup {
  objectType: 'contextGroup';
  group: Group;
  relevantTypes?: string[];
}

export interface Context {
  /** A UUID. */
  registration?: string;
  instructor?: Actor;
  team?: Group;
  contextActivities?: ContextActivities;
  revision?: string;
  platform?: string;
  language?: string;
  statement?: StatementRef;
  extensions?: Extensions;
  contextAgents?: ContextAgent[];
  contextGroups?: ContextGroup[];
}

export interface Attachment {
  usageType: string;
  display: LanguageMap;
  description?: LanguageMap;
  contentType: string;
  length: number;
  sha2: string;
  fileUrl?: string;
}

export interface Statement {
  /** A UUID; the LRS assigns one (statementIdOf) when the sender did not. */
  id?: string;
  actor: Actor;
  verb: Verb;
  object: StatementObject;
  result?: Result;
  context?: Context;
  /** ISO 8601 with a time zone; the LRS sets it to `stored` when missing. */
  timestamp?: string;
  stored?: string;
  authority?: Actor;
  version?: string;
  attachments?: Attachment[];
}

/** The versions of the `X-Experience-API-Version` header this LRS accepts: any 1.0.x, and 2.0.x. */
export type XapiVersion = '1.0' | '2.0';
