/**
 * The LRS's statement rules (xAPI 1.0.3 Data §2.2-2.4, xAPI 2.0 additions) on statements written from the
 * specification's examples: valid ones come back normalised, each broken rule is a 400 naming its JSON path.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../src/xapi/statement.ts';
import {
  contentHash,
  parseTimestamp,
  parseVersion,
  statementIdOf,
  validateStatement,
  validateStatementBatch,
  XapiError,
} from '../../src/xapi/validate.ts';

/** Statement JSON as a client sends it: edited freely and broken on purpose by the tests. */
// biome-ignore lint/suspicious/noExplicitAny: the tests write and break statements of every shape
type Json = any;

/** Data §2.4, "Simple Statement" example. */
const simple = (): Json => ({
  id: '12345678-1234-5678-1234-567812345678',
  actor: { mbox: 'mailto:xapi@adlnet.gov' },
  verb: { id: 'http://adlnet.gov/expapi/verbs/created', display: { 'en-US': 'created' } },
  object: { id: 'http://example.adlnet.gov/xapi/example/activity' },
});

/** Data Appendix A "Long Example" in brief: result with score, context with registration and activities. */
const completed = (): Json => ({
  id: '6690e6c9-3ef0-4ed3-8b37-7f3964730bee',
  actor: {
    name: 'Team PB',
    mbox: 'mailto:teampb@example.com',
    member: [
      {
        name: 'Andrew Downes',
        account: { homePage: 'http://www.example.com', name: '13936749' },
        objectType: 'Agent',
      },
      { name: 'Toby Nichols', openid: 'http://toby.openid.example.org/', objectType: 'Agent' },
      { name: 'Ena Hills', mbox_sha1sum: 'ebd31e95054c018b10727ccffd2ef2ec3a016ee9', objectType: 'Agent' },
    ],
    objectType: 'Group',
  },
  verb: {
    id: 'http://adlnet.gov/expapi/verbs/attended',
    display: { 'en-GB': 'attended', 'en-US': 'attended' },
  },
  result: {
    extensions: {
      'http://example.com/profiles/meetings/resultextensions/minuteslocation': 'X:\\meetings\\minutes',
    },
    success: true,
    completion: true,
    response: 'We agreed on some example actions.',
    duration: 'PT1H0M0S',
    score: { scaled: 0.85, raw: 85, min: 0, max: 100 },
  },
  context: {
    registration: 'EC531277-B57B-4C15-8D91-D292C5B2B8F7',
    contextActivities: {
      parent: { id: 'http://www.example.com/meetings/series/267', objectType: 'Activity' },
      category: [
        {
          id: 'http://www.example.com/meetings/categories/teammeeting',
          objectType: 'Activity',
          definition: {
            name: { en: 'team meeting' },
            type: 'http://example.com/expapi/activities/meetingcategory',
          },
        },
      ],
      other: [{ id: 'http://www.example.com/meetings/occurances/34257' }],
    },
    language: 'en-GB',
    platform: 'Example virtual meeting software',
    extensions: { 'http://example.com/profiles/meetings/contextextensions/topic': null },
  },
  timestamp: '2013-05-18T05:32:34.804+00:00',
  object: {
    id: 'http://www.example.com/meetings/occurances/34534',
    definition: {
      extensions: {
        'http://example.com/profiles/meetings/activitydefinitionextensions/room': { name: 'Kilby' },
      },
      name: { 'en-GB': 'example meeting' },
      type: 'http://adlnet.gov/expapi/activities/meeting',
      moreInfo: 'http://virtualmeeting.example.com/345256',
    },
    objectType: 'Activity',
  },
});

/** The 400 a statement gets: its field and rule. */
function rejection(
  input: unknown,
  version: '1.0' | '2.0' = '1.0',
): { field: string; rule: string; status: number } {
  try {
    validateStatementBatch(input, version);
  } catch (error) {
    if (!(error instanceof XapiError)) throw error;
    return { field: error.field, rule: error.rule, status: error.status };
  }
  throw new Error('the statement was accepted');
}

const edit = (make: () => Json, change: (s: Json) => void): Json => {
  const s = make();
  change(s);
  return s;
};

describe('validateStatement: valid statements, normalised', () => {
  it('fills the objectType defaults (Agent actor, Activity object)', () => {
    const s = validateStatement(simple(), '1.0');
    expect(s.actor.objectType).toBe('Agent');
    expect(s.object.objectType).toBe('Activity');
    expect(s.verb.display).toEqual({ 'en-US': 'created' });
  });

  it('turns single contextActivities into arrays, lower-cases UUIDs and puts timestamps in UTC', () => {
    const s = validateStatement(completed(), '1.0');
    expect(s.context?.contextActivities?.parent).toEqual([
      { id: 'http://www.example.com/meetings/series/267', objectType: 'Activity' },
    ]);
    expect(s.context?.contextActivities?.other?.[0]?.objectType).toBe('Activity');
    expect(s.context?.registration).toBe('ec531277-b57b-4c15-8d91-d292c5b2b8f7');
    expect(s.timestamp).toBe('2013-05-18T05:32:34.804Z');
    expect(s.result?.score).toEqual({ scaled: 0.85, raw: 85, min: 0, max: 100 });
    // Extension values may be null (only there).
    expect(s.context?.extensions).toEqual({
      'http://example.com/profiles/meetings/contextextensions/topic': null,
    });
  });

  it('accepts a SubStatement, a StatementRef and an Agent as object', () => {
    const sub = edit(simple, (s) => {
      s.object = {
        objectType: 'SubStatement',
        actor: { objectType: 'Agent', mbox: 'mailto:test@example.com' },
        verb: { id: 'http://example.com/visited', display: { 'en-US': 'will visit' } },
        object: { objectType: 'Activity', id: 'http://example.com/website' },
      };
    });
    expect(validateStatement(sub, '1.0').object.objectType).toBe('SubStatement');
    const ref = edit(simple, (s) => {
      s.verb = { id: 'http://adlnet.gov/expapi/verbs/voided' };
      s.object = { objectType: 'StatementRef', id: 'E05AA883-ACAA-4DB7-9F1A-D0E5B4C3B0C9' };
    });
    expect(validateStatement(ref, '1.0').object).toEqual({
      objectType: 'StatementRef',
      id: 'e05aa883-acaa-4db7-9f1a-d0e5b4c3b0c9',
    });
    const agentObject = edit(simple, (s) => {
      s.object = { objectType: 'Agent', account: { homePage: 'https://lms.example.edu', name: 'u-7' } };
    });
    expect(validateStatement(agentObject, '1.0').object.objectType).toBe('Agent');
  });

  it('accepts contextAgents and contextGroups in 2.0 and refuses them in 1.0.x', () => {
    const s = edit(simple, (x) => {
      x.context = {
        contextAgents: [
          {
            objectType: 'contextAgent',
            agent: { mbox: 'mailto:instructor@example.com' },
            relevantTypes: ['https://example.com/roles/instructor'],
          },
        ],
        contextGroups: [
          {
            objectType: 'contextGroup',
            group: { objectType: 'Group', member: [{ mbox: 'mailto:a@example.com' }] },
          },
        ],
      };
    });
    const v2 = validateStatement(s, '2.0');
    expect(v2.context?.contextAgents?.[0]?.agent.objectType).toBe('Agent');
    expect(rejection(s, '1.0')).toMatchObject({
      field: 'statement.context.contextAgents',
      rule: 'unknown property',
    });
  });

  it('requires a time zone in 2.0 and reads one-less 1.0.x timestamps as UTC', () => {
    const s = edit(simple, (x) => {
      x.timestamp = '2024-03-01T10:00:00';
    });
    expect(validateStatement(s, '1.0').timestamp).toBe('2024-03-01T10:00:00.000Z');
    expect(rejection(s, '2.0').field).toBe('statement.timestamp');
    expect(parseTimestamp('2024-03-01T10:00:00+0700', true)?.toISOString()).toBe('2024-03-01T03:00:00.000Z');
    expect(parseTimestamp('2024-03-01T10:00:00-00:00', false)).toBeUndefined();
    expect(parseTimestamp('2024-02-30T10:00:00Z', true)).toBeUndefined();
  });
});

describe('validateStatement: each rule is a 400 naming the path', () => {
  const cases: [string, () => unknown, string][] = [
    ['actor missing', () => edit(simple, (s) => delete s.actor), 'statement.actor'],
    ['verb missing', () => edit(simple, (s) => delete s.verb), 'statement.verb'],
    ['object missing', () => edit(simple, (s) => delete s.object), 'statement.object'],
    ['unknown key', () => edit(simple, (s) => (s.foo = 1)), 'statement.foo'],
    ['null value', () => edit(simple, (s) => (s.verb.display = null)), 'statement.verb.display'],
    ['two identifiers', () => edit(simple, (s) => (s.actor.openid = 'http://x.example/')), 'statement.actor'],
    ['no identifier', () => edit(simple, (s) => (s.actor = { name: 'Ann' })), 'statement.actor'],
    [
      'mbox not mailto:',
      () => edit(simple, (s) => (s.actor.mbox = 'xapi@adlnet.gov')),
      'statement.actor.mbox',
    ],
    [
      'bad sha1sum',
      () => edit(simple, (s) => (s.actor = { mbox_sha1sum: 'abc' })),
      'statement.actor.mbox_sha1sum',
    ],
    ['id not a UUID', () => edit(simple, (s) => (s.id = 'not-a-uuid')), 'statement.id'],
    ['verb id not an IRI', () => edit(simple, (s) => (s.verb.id = 'created')), 'statement.verb.id'],
    [
      'bad language tag',
      () => edit(simple, (s) => (s.verb.display = { 'en US': 'x' })),
      'statement.verb.display.en US',
    ],
    [
      'timestamp not ISO 8601',
      () => edit(simple, (s) => (s.timestamp = '18 May 2013')),
      'statement.timestamp',
    ],
    [
      'anonymous group without members',
      () => edit(simple, (s) => (s.actor = { objectType: 'Group', name: 'x' })),
      'statement.actor',
    ],
    [
      'unknown objectType',
      () => edit(simple, (s) => (s.object.objectType = 'Thing')),
      'statement.object.objectType',
    ],
    [
      'registration not a UUID',
      () => edit(simple, (s) => (s.context = { registration: 'abc' })),
      'statement.context.registration',
    ],
    [
      'revision on a non-Activity object',
      () =>
        edit(simple, (s) => {
          s.object = { objectType: 'Agent', mbox: 'mailto:a@example.com' };
          s.context = { revision: '2' };
        }),
      'statement.context.revision',
    ],
    [
      'voided without a StatementRef',
      () => edit(simple, (s) => (s.verb.id = 'http://adlnet.gov/expapi/verbs/voided')),
      'statement.object',
    ],
    [
      'duration not ISO 8601',
      () => edit(completed, (s) => (s.result.duration = '1 hour')),
      'statement.result.duration',
    ],
    [
      'extension key not an IRI',
      () => edit(completed, (s) => (s.result.extensions = { minutes: 1 })),
      'statement.result.extensions.minutes',
    ],
    [
      'SubStatement inside a SubStatement',
      () =>
        edit(simple, (s) => {
          s.object = {
            objectType: 'SubStatement',
            actor: { mbox: 'mailto:a@example.com' },
            verb: { id: 'http://example.com/v' },
            object: { objectType: 'SubStatement' },
          };
        }),
      'statement.object.object.objectType',
    ],
    [
      'SubStatement with an id',
      () =>
        edit(simple, (s) => {
          s.object = {
            objectType: 'SubStatement',
            id: '12345678-1234-5678-1234-567812345678',
            actor: { mbox: 'mailto:a@example.com' },
            verb: { id: 'http://example.com/v' },
            object: { id: 'http://example.com/a' },
          };
        }),
      'statement.object.id',
    ],
  ];
  it.each(cases)('%s', (_name, make, field) => {
    const answer = rejection(make());
    expect(answer.status).toBe(400);
    expect(answer.field).toBe(field);
  });

  it('checks the score rules: scaled in [-1, 1], min < max, min <= raw <= max', () => {
    const withScore = (score: object) => edit(completed, (s) => (s.result.score = score));
    expect(rejection(withScore({ scaled: 1.5 })).field).toBe('statement.result.score.scaled');
    expect(rejection(withScore({ min: 10, max: 5 })).field).toBe('statement.result.score.max');
    expect(rejection(withScore({ raw: 120, min: 0, max: 100 })).field).toBe('statement.result.score.raw');
    expect(rejection(withScore({ raw: -1, min: 0 })).field).toBe('statement.result.score.raw');
    expect(
      validateStatement(withScore({ scaled: -1, raw: 0, min: 0, max: 1 }), '1.0').result?.score?.scaled,
    ).toBe(-1);
  });

  it('names the statement in a batch by index, refuses empty batches and repeated ids', () => {
    const broken = edit(completed, (s) => (s.result.score.scaled = 2));
    expect(rejection([simple(), broken])).toMatchObject({
      field: 'statements[1].result.score.scaled',
      status: 400,
    });
    expect(rejection([]).field).toBe('statements');
    expect(rejection([simple(), simple()]).field).toBe('statements[1].id');
    expect(rejection('text').field).toBe('statement');
  });
});

describe('parseVersion', () => {
  it('accepts 1.0.x and 2.0.x, refuses a missing header and other versions', () => {
    expect(parseVersion('1.0.3')).toBe('1.0');
    expect(parseVersion('1.0.0')).toBe('1.0');
    expect(parseVersion('1.0')).toBe('1.0');
    expect(parseVersion('2.0.0')).toBe('2.0');
    for (const bad of [undefined, '', '1.1.0', '0.95', '3.0.0', 'x']) {
      expect(() => parseVersion(bad)).toThrow(XapiError);
    }
  });
});

describe('contentHash and statementIdOf', () => {
  const valid = (s: unknown): Statement => validateStatement(s, '1.0');

  it('ignore id, stored, authority, version, key order, group member order and timestamp notation', () => {
    const a = valid(completed());
    const b = valid(
      edit(completed, (s) => {
        s.id = '00000000-0000-4000-8000-000000000000';
        s.stored = '2020-01-01T00:00:00Z';
        s.version = '1.0.3';
        s.authority = { mbox: 'mailto:lrs@example.com' };
        s.actor.member.reverse();
        s.timestamp = '2013-05-18T07:32:34.804+02:00';
      }),
    );
    expect(contentHash(b)).toBe(contentHash(a));
    const reordered = valid(Object.fromEntries(Object.entries(completed()).reverse()));
    expect(contentHash(reordered)).toBe(contentHash(a));
  });

  it('differ when the content differs', () => {
    const a = valid(completed());
    const other = valid(edit(completed, (s) => (s.result.score.raw = 84)));
    expect(contentHash(other)).not.toBe(contentHash(a));
  });

  it('hash the canonical text the registry keeps (sorted keys, members sorted by their text), unchanged across releases', () => {
    // Registry rows hold these hashes: a change of the text would turn every resend into a 409.
    const statement = valid({
      actor: {
        objectType: 'Group',
        member: [{ account: { name: 'b', homePage: 'https://h' } }, { mbox: 'mailto:a@x.org' }],
        account: { name: 'g', homePage: 'https://h' },
      },
      verb: { id: 'https://v/é' },
      object: { id: 'https://o', definition: { extensions: { 'https://e': { z: null, a: [2, 1] } } } },
    });
    const text =
      '{"actor":{"account":{"homePage":"https://h","name":"g"},"member":[' +
      '{"account":{"homePage":"https://h","name":"b"},"objectType":"Agent"},' +
      '{"mbox":"mailto:a@x.org","objectType":"Agent"}],"objectType":"Group"},' +
      '"object":{"definition":{"extensions":{"https://e":{"a":[2,1],"z":null}}},"id":"https://o","objectType":"Activity"},' +
      '"verb":{"id":"https://v/é"}}';
    expect(contentHash(statement)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });

  it('keep a given id and derive a stable UUID (v8) from the content otherwise', () => {
    expect(statementIdOf(valid(simple()))).toBe('12345678-1234-5678-1234-567812345678');
    const noId = () => edit(simple, (s) => delete s.id);
    const id = statementIdOf(valid(noId()));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(statementIdOf(valid(noId()))).toBe(id);
    const other = edit(noId, (s) => (s.verb.id = 'http://adlnet.gov/expapi/verbs/experienced'));
    expect(statementIdOf(valid(other))).not.toBe(id);
  });
});
