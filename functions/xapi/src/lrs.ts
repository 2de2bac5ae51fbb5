/**
 * The LRS statements resource (xAPI 1.0.3 Communication §2.1, xAPI 2.0): `POST|PUT <base>/statements` and
 * `GET <base>/about`, for any base path (`/xapi/statements`, `/statements`, …).
 *
 * A request is checked (Basic credentials → 401/403, version header, body, every statement → 400 naming the
 * JSON path; a POST batch is all or nothing), then waits for a group commit with the other requests in
 * flight. Per flush, in this order, so a crash anywhere leaves a state a resend completes (ids, file names
 * and event ids are all derived from the statements):
 *   1. one registry lookup for every id of the flush: a stored id with the same content is a duplicate (not
 *      stored again, still acknowledged), with other content a 409 for its request;
 *   2. the new statements, with `stored`, `authority`, `version` and a missing `timestamp` set, are mapped
 *      onto catalogue events (StatementMapper) and written redacted to the lake table xapi/statements/;
 *   3. the derived events go to the EventSink (Kafka topics → ingest and speed);
 *   4. the ids go into the registry;
 *   5. the requests are answered: POST 200 with the ids in order, PUT 204.
 * A failure of 2-4 answers every request of the flush 503: nothing is acknowledged.
 */
import type { EventSink } from '@ula/core/adapters/event-sink';
import type { ObjectStore } from '@ula/core/adapters/object-store';
import { type Clock, systemClock } from '@ula/core/clock';
import type { LmsEvent } from '@ula/core/events/envelope';
import { ClosedError, GroupCommit, type Outcome } from '@ula/core/group-commit';
import { writeXapiStatements, type XapiStatementRow } from '@ula/core/lake/xapi-statements';
import type { Pseudonymize } from '@ula/core/privacy/pseudonym';
import type { XapiCredential } from '@ula/core/settings';
import { pseudonymizeStatement, redactStatement } from '@ula/core/xapi/identity';
import type { MappedStatement, StoredStatement } from '@ula/core/xapi/mapping';
import type { Actor, Statement, XapiVersion } from '@ula/core/xapi/statement';
import {
  contentHash,
  parseVersion,
  responseVersion,
  statementIdOf,
  validateStatement,
  validateStatementBatch,
  XapiError,
} from '@ula/core/xapi/validate';
import { authorize } from './auth.ts';
import type { StatementOutcome, XapiMetrics } from './metrics.ts';
import type { StatementRegistry } from './registry.ts';

export interface LrsRequest {
  method: string;
  /** The request path without the query. */
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body (Buffer or string), or what the runtime parsed. */
  body: unknown;
}

export interface LrsResponse {
  statusCode: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the LRS maps statements with (core's StatementMapper). */
export interface Mapper {
  map(statement: StoredStatement): MappedStatement;
}

export interface LrsOptions {
  lake: ObjectStore;
  sink: EventSink;
  registry: StatementRegistry;
  mapper: Mapper;
  metrics: XapiMetrics;
  /** Basic credentials; undefined: no authentication (local development). */
  credentials: XapiCredential[] | undefined;
  /** Home page of the authority accounts (the credential key is the account name). */
  homePage: string;
  /** `ULA_PSEUDONYMIZE=hmac`: user ids in the statement table and stored statements (docs/privacy.md). */
  pseudonymize?: Pseudonymize | undefined;
  groupCommit: { maxRequests: number; lingerMs: number; maxAgeMs: number; idleMs?: number };
  clock?: Clock;
}

/** One validated statement of a request, with its id and the hash its resends are compared by. */
interface Prepared {
  id: string;
  hash: string;
  statement: Statement;
}

/** One request waiting for its group commit. */
interface Submission {
  statements: Prepared[];
  version: XapiVersion;
  authority: Actor;
}

const aboutVersions = ['1.0.3', '2.0.0'];

const headerOf = (headers: LrsRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export class Lrs {
  private readonly commits: GroupCommit<Submission, string[]>;
  private readonly clock: Clock;

  constructor(private readonly options: LrsOptions) {
    this.clock = options.clock ?? systemClock;
    this.commits = new GroupCommit<Submission, string[]>({
      maxItems: options.groupCommit.maxRequests,
      maxAgeMs: options.groupCommit.maxAgeMs,
      lingerMs: options.groupCommit.lingerMs,
      idleMs: options.groupCommit.idleMs ?? 2,
      clock: this.clock,
      flush: (batch) => this.flush(batch),
    });
  }

  get metrics(): XapiMetrics {
    return this.options.metrics;
  }

  get pending(): number {
    return this.commits.pendingCount;
  }

  async handle(request: LrsRequest): Promise<LrsResponse> {
    const answer = await this.route(request);
    this.options.metrics.requests.inc({ method: request.method, status: String(answer.statusCode) });
    return answer;
  }

  private async route(request: LrsRequest): Promise<LrsResponse> {
    const version = this.requestedVersion(request);
    const path = request.path.replace(/\/+$/, '');
    try {
      if (path.endsWith('/about')) {
        if (request.method !== 'GET' && request.method !== 'HEAD')
          throw methodNotAllowed(request.method, 'GET');
        return this.respond(version, 200, { version: aboutVersions });
      }
      if (!path.endsWith('/statements'))
        throw new XapiError(
          404,
          'not_found',
          'path',
          'ends in /statements or /about',
          `${request.path}: this LRS serves <base>/statements (POST, PUT) and <base>/about (GET)`,
        );
      if (request.method !== 'POST' && request.method !== 'PUT')
        throw methodNotAllowed(
          request.method,
          'POST or PUT',
          request.method === 'GET'
            ? 'this LRS stores statements; it does not serve them (query lake.raw.xapi_statements in Trino)'
            : undefined,
        );
      authorize(request.headers['authorization'], this.options.credentials, 'statements/write');
      return await this.storeStatements(request);
    } catch (error) {
      if (error instanceof XapiError) return this.refuse(version, error);
      throw error;
    }
  }

  /** The version to answer with: the request's when it is valid, else 1.0.3. */
  private requestedVersion(request: LrsRequest): XapiVersion | undefined {
    try {
      return parseVersion(headerOf(request.headers, 'x-experience-api-version'));
    } catch {
      return undefined;
    }
  }

  private async storeStatements(request: LrsRequest): Promise<LrsResponse> {
    const version = parseVersion(headerOf(request.headers, 'x-experience-api-version'));
    const body = parseBody(request);
    const statementId = request.query['statementId'];
    let statements: Statement[];
    if (request.method === 'PUT') {
      if (typeof statementId !== 'string' || statementId === '')
        throw badRequest('statementId', 'required', 'PUT statements needs the query parameter statementId');
      const id = statementId.toLowerCase();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id))
        throw badRequest('statementId', 'must be a UUID', `statementId ${statementId} is not a UUID`);
      if (Array.isArray(body))
        throw badRequest('statement', 'one statement', 'PUT stores one statement: POST an array instead');
      const statement = this.counted(() => validateStatement(body, version));
      if (statement.id !== undefined && statement.id !== id)
        throw badRequest(
          'statement.id',
          'equals statementId',
          `statement.id ${statement.id} differs from statementId ${id}`,
        );
      statements = [{ ...statement, id }];
    } else {
      if (statementId !== undefined)
        throw badRequest(
          'statementId',
          'only with PUT',
          'POST takes no statementId: use PUT, or put the id in the statement',
        );
      statements = this.counted(() => validateStatementBatch(body, version));
    }
    const prepared = statements.map((statement): Prepared => {
      const hash = contentHash(statement);
      const id = statementIdOf(statement, hash);
      return { id, hash, statement };
    });
    const authority = this.authorityOf(request);
    let ids: string[];
    try {
      ids = await this.commits.submit({ statements: prepared, version, authority });
    } catch (error) {
      if (error instanceof XapiError) throw error;
      const message =
        error instanceof ClosedError
          ? 'the LRS is shutting down'
          : `statements not stored: ${(error as Error).message}`;
      return this.respond(version, 503, { error: 'unavailable', field: '', rule: 'retry later', message });
    }
    return request.method === 'PUT' ? this.respond(version, 204) : this.respond(version, 200, ids);
  }

  /** Validation with the `invalid` outcome counted. */
  private counted<T>(validate: () => T): T {
    try {
      return validate();
    } catch (error) {
      if (error instanceof XapiError) this.options.metrics.statements.inc({ outcome: 'invalid' });
      throw error;
    }
  }

  private authorityOf(request: LrsRequest): Actor {
    const key = this.options.credentials
      ? (Buffer.from((headerOf(request.headers, 'authorization') ?? '').slice(6), 'base64')
          .toString('utf8')
          .split(':')[0] ?? '')
      : 'anonymous';
    return { objectType: 'Agent', account: { homePage: this.options.homePage, name: key } };
  }

  /** A request the runtime refused before the LRS ran (body over the limit, bad content-length). */
  handleRequestError(request: LrsRequest, error: { statusCode?: number; message: string }): LrsResponse {
    const version = this.requestedVersion(request);
    const status = error.statusCode === 413 ? 413 : 400;
    const answer = this.refuse(
      version,
      status === 413
        ? new XapiError(413, 'too_large', 'body', 'at most ULA_XAPI_MAX_BODY_BYTES', error.message)
        : badRequest('body', 'a readable request body', error.message),
    );
    this.options.metrics.requests.inc({ method: request.method, status: String(status) });
    return answer;
  }

  private refuse(version: XapiVersion | undefined, error: XapiError): LrsResponse {
    const answer = this.respond(version, error.status, error.toJSON());
    if (error.status === 401) answer.headers['www-authenticate'] = 'Basic realm="xAPI", charset="UTF-8"';
    return answer;
  }

  private respond(version: XapiVersion | undefined, statusCode: number, body?: unknown): LrsResponse {
    const headers: Record<string, string> = {
      'x-experience-api-version': responseVersion(version),
      'x-experience-api-consistent-through': new Date(this.clock.now()).toISOString(),
    };
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    return { statusCode, headers, ...(body !== undefined ? { body } : {}) };
  }

  // ---- the group commit ---------------------------------------------------------------------------------

  private async flush(batch: Submission[]): Promise<Outcome<string[]>[]> {
    const { metrics } = this.options;
    const started = process.hrtime.bigint();
    const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
    const allIds = [...new Set(batch.flatMap((s) => s.statements.map((p) => p.id)))];
    let step = process.hrtime.bigint();
    const known = await this.options.registry.lookup(allIds);
    metrics.flushSeconds.observe({ step: 'lookup' }, seconds(step));

    // Decide each request in arrival order; an id accepted earlier in this flush counts as stored.
    const accepted = new Map<string, string>();
    const outcomes: Outcome<string[]>[] = [];
    const fresh: { prepared: Prepared; submission: Submission }[] = [];
    const counts: Record<StatementOutcome, number> = {
      mapped: 0,
      unmapped: 0,
      duplicate: 0,
      conflict: 0,
      invalid: 0,
    };
    for (const submission of batch) {
      const clash = submission.statements.find((p) => {
        const stored = known.get(p.id) ?? accepted.get(p.id);
        return stored !== undefined && stored !== p.hash;
      });
      if (clash) {
        counts.conflict += 1;
        outcomes.push({
          ok: false,
          error: new XapiError(
            409,
            'conflict',
            'id',
            'an id names one statement',
            `statement ${clash.id} is already stored with other content`,
          ),
        });
        continue;
      }
      for (const prepared of submission.statements) {
        if (known.has(prepared.id) || accepted.has(prepared.id)) {
          counts.duplicate += 1;
          continue;
        }
        accepted.set(prepared.id, prepared.hash);
        fresh.push({ prepared, submission });
      }
      outcomes.push({ ok: true, value: submission.statements.map((p) => p.id) });
    }

    const storedAt = this.clock.now();
    const stored = new Date(storedAt).toISOString();
    const rows: XapiStatementRow[] = [];
    const events: LmsEvent[] = [];
    const unmapped: MappedStatement[] = [];
    for (const { prepared, submission } of fresh) {
      const full: StoredStatement = {
        ...prepared.statement,
        id: prepared.id,
        timestamp: prepared.statement.timestamp ?? stored,
        stored,
        authority: submission.authority,
        version: prepared.statement.version ?? responseVersion(submission.version),
      };
      const mapped = this.options.mapper.map(full);
      if (mapped.rule === undefined) unmapped.push(mapped);
      counts[mapped.rule === undefined ? 'unmapped' : 'mapped'] += 1;
      events.push(...mapped.events);
      rows.push(rowOf(full, mapped, responseVersion(submission.version), this.options));
    }

    if (rows.length > 0) {
      step = process.hrtime.bigint();
      await writeXapiStatements(this.options.lake, rows);
      metrics.flushSeconds.observe({ step: 'lake' }, seconds(step));
      step = process.hrtime.bigint();
      await this.options.sink.send(events);
      metrics.flushSeconds.observe({ step: 'sink' }, seconds(step));
      step = process.hrtime.bigint();
      await this.options.registry.record(
        fresh.map(({ prepared }) => ({ id: prepared.id, hash: prepared.hash, stored: storedAt })),
      );
      metrics.flushSeconds.observe({ step: 'record' }, seconds(step));
    }

    metrics.flushStatements.observe(rows.length);
    metrics.flushSeconds.observe({ step: 'flush' }, seconds(started));
    for (const [outcome, n] of Object.entries(counts)) if (n > 0) metrics.statements.inc({ outcome }, n);
    for (const m of unmapped) metrics.countUnmapped(m.verb, m.activityType);
    for (const event of events) metrics.events.inc({ type: event.eventType });
    return outcomes;
  }

  /** Flushes what is pending and refuses new requests (graceful shutdown). */
  async close(): Promise<void> {
    await this.commits.close();
    await this.options.sink.close();
  }

  /** Throws when the lake, the registry or the sink is unreachable (readiness). */
  async health(): Promise<void> {
    await Promise.all([
      this.options.lake.health(),
      this.options.registry.health(),
      this.options.sink.health(),
    ]);
  }
}

/** The lake row of a stored statement (redacted: no mbox, no names). */
function rowOf(
  statement: StoredStatement,
  mapped: MappedStatement,
  version: string,
  privacy: Pick<LrsOptions, 'pseudonymize' | 'homePage'>,
): XapiStatementRow {
  const { pseudonymize, homePage } = privacy;
  const redacted = redactStatement(statement);
  const object = statement.object;
  const objectId =
    object.objectType === 'Activity' || object.objectType === 'StatementRef' ? object.id : null;
  return {
    statement_id: statement.id,
    verb: statement.verb.id,
    activity_type: mapped.activityType,
    object_id: objectId,
    user_id: mapped.userId === undefined ? null : (pseudonymize?.(mapped.userId) ?? mapped.userId),
    registration: statement.context?.registration ?? null,
    rule: mapped.rule ?? null,
    event_ids: mapped.events.map((e) => e.id).join(','),
    event_types: mapped.events.map((e) => e.eventType).join(','),
    statement_time: new Date(statement.timestamp),
    stored: new Date(statement.stored!),
    version,
    statement: JSON.stringify(
      pseudonymize ? pseudonymizeStatement(redacted, pseudonymize, { homePage }) : redacted,
    ),
  };
}

const badRequest = (field: string, rule: string, message: string): XapiError =>
  new XapiError(400, 'bad_request', field, rule, message);

const methodNotAllowed = (method: string, allowed: string, why?: string): XapiError =>
  new XapiError(
    405,
    'method_not_allowed',
    'method',
    `must be ${allowed}`,
    why ?? `method ${method} not allowed: ${allowed}`,
  );

/** The request body as JSON: a Buffer or string is parsed; multipart (attachment content) and forms are refused. */
function parseBody(request: LrsRequest): unknown {
  const contentType = (headerOf(request.headers, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith('multipart/'))
    throw badRequest(
      'content-type',
      'application/json',
      'attachment content (multipart/mixed) is not stored by this LRS: send attachments with a fileUrl',
    );
  if (contentType.startsWith('application/x-www-form-urlencoded'))
    throw badRequest(
      'content-type',
      'application/json',
      'the alternate request syntax (form posts) is not supported',
    );
  const { body } = request;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
  if (text === undefined) {
    if (body === undefined || body === null) throw badRequest('body', 'required', 'the request has no body');
    return body;
  }
  if (text.trim() === '') throw badRequest('body', 'required', 'the request body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest('body', 'JSON', `the body is not JSON: ${(error as Error).message}`);
  }
}
