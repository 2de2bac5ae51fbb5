/**
 * The local stack's Trino refuses unauthenticated clients and enforces trino/security/rules.json: each user
 * logs in with the password of its credentials file (.stack/trino/credentials/<user>.env, written by
 * scripts/stack/trino.sh; trino-credentials.ts), as the project's clients do (trino-access.ts).
 *
 * The personal schema's rule is checked on a throw-away table of lake.personal (created and dropped by the
 * admin): the rules cover the whole schema, so it stands for lake.personal.profile without touching it.
 */

import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTrino, type TrinoAccess } from '../../../functions/core/src/lake/trino-access.ts';
import { trinoQuery } from '../../../functions/core/src/lake/trino-tables.ts';
import { stackTrinoAccess } from '../trino-credentials.ts';

const admin = stackTrinoAccess('ula_admin');
const analyst = stackTrinoAccess('ula_analyst');
const privacy = stackTrinoAccess('ula_privacy');
const serving = stackTrinoAccess('ula_serving');
const keyspace = process.env['ULA_CASSANDRA_KEYSPACE'] || 'lms_analytics';
const probe = `lake.personal.rules_probe_${randomUUID().slice(0, 8)}`;

const run = (access: TrinoAccess, sql: string) => trinoQuery(connectTrino(access), sql);
const denied = /Access Denied/;

/** POST /v1/statement with the given headers; resolves with the HTTP status. */
function statementStatus(url: string, headers: Record<string, string>, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(`${url}/v1/statement`, { method: 'POST', headers, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('SELECT 1');
  });
}

describe('Trino authentication (password over https)', () => {
  it('answers the right password', async () => {
    expect(await run(admin, 'SELECT 1')).toEqual([[1]]);
  });

  it('refuses a query without a password (401)', async () => {
    expect(await statementStatus(admin.server, { 'X-Trino-User': 'ula_admin' }, admin.ca)).toBe(401);
  });

  it('refuses a wrong password (401), also through trino-client', async () => {
    const basic = Buffer.from(`ula_admin:${admin.password}x`).toString('base64');
    const headers = { 'X-Trino-User': 'ula_admin', Authorization: `Basic ${basic}` };
    expect(await statementStatus(admin.server, headers, admin.ca)).toBe(401);
    await expect(run({ ...admin, password: `${admin.password}x` }, 'SELECT 1')).rejects.toThrow(/401/);
  });

  it('takes no query on the plain-http port (internal traffic only)', async () => {
    const http = `http://127.0.0.1:${process.env['TRINO_PORT'] || '8080'}`;
    const status = await statementStatus(http, { 'X-Trino-User': 'ula_admin' });
    expect([401, 403]).toContain(status);
  });
});

describe('Trino access rules (trino/security/rules.json)', () => {
  beforeAll(async () => {
    await run(admin, 'CREATE SCHEMA IF NOT EXISTS lake.personal');
    await run(admin, `CREATE TABLE ${probe} (user_id varchar, fields varchar)`);
  });
  afterAll(async () => {
    await run(admin, `DROP TABLE IF EXISTS ${probe}`);
  });

  it('lets an analyst read lake.serving and the cassandra catalog', async () => {
    const views = (await run(analyst, 'SHOW TABLES FROM lake.serving')).map(([t]) => String(t));
    expect(views).toContain('xapi_unmapped');
    const [[n]] = (await run(
      analyst,
      "SELECT count(*) FROM lake.serving.xapi_unmapped WHERE date = '2026-01-01'",
    )) as [[number]];
    expect(n).toBeGreaterThanOrEqual(0);
    const tables = (await run(analyst, `SHOW TABLES FROM cassandra.${keyspace}`)).map(([t]) => String(t));
    expect(tables).toContain('batch_runs');
    expect(await run(analyst, `SELECT count(*) FROM cassandra.${keyspace}.batch_runs`)).toHaveLength(1);
  });

  it('denies an analyst lake.personal and every write', async () => {
    await expect(run(analyst, `SELECT * FROM ${probe}`)).rejects.toThrow(denied);
    await expect(run(analyst, 'SELECT * FROM lake.personal.profile')).rejects.toThrow(denied);
    await expect(run(analyst, 'SELECT * FROM lake.audit.erasure')).rejects.toThrow(denied);
    await expect(run(analyst, `INSERT INTO ${probe} VALUES ('u', '{}')`)).rejects.toThrow(denied);
    await expect(run(analyst, 'CREATE SCHEMA lake.analyst_scratch')).rejects.toThrow(denied);
  });

  it('lets a privacy officer read lake.personal, not write it', async () => {
    await run(admin, `INSERT INTO ${probe} VALUES ('u-1', '{"email":"a@example.org"}')`);
    expect(await run(privacy, `SELECT user_id FROM ${probe}`)).toEqual([['u-1']]);
    // The real table (ensureRawTables creates it at stack start).
    expect(
      await run(privacy, "SELECT count(*) FROM lake.personal.profile WHERE date = '2026-01-01'"),
    ).toEqual([[0]]);
    await expect(run(privacy, `DELETE FROM ${probe}`)).rejects.toThrow(denied);
  });

  it('lets the serving user create views in lake.serving only, and not read lake.personal', async () => {
    const view = `lake.serving.rules_probe_${randomUUID().slice(0, 8)}`;
    try {
      await run(serving, `CREATE VIEW ${view} AS SELECT count(*) AS n FROM cassandra.${keyspace}.batch_runs`);
      expect(await run(analyst, `SELECT n >= 0 FROM ${view}`)).toEqual([[true]]);
    } finally {
      await run(admin, `DROP VIEW IF EXISTS ${view}`);
    }
    await expect(run(serving, 'CREATE VIEW lake.events.rules_probe AS SELECT 1 AS x')).rejects.toThrow(
      denied,
    );
    await expect(run(serving, `SELECT * FROM ${probe}`)).rejects.toThrow(denied);
    await expect(run(serving, 'SELECT * FROM lake.audit.erasure')).rejects.toThrow(denied);
  });
});
