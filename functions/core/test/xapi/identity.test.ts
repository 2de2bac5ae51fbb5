import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idPattern } from '../../src/events/define.ts';
import { courseIdOf, idOfIri, mboxSha1sum, redactStatement, userIdOf } from '../../src/xapi/identity.ts';
import type { Statement } from '../../src/xapi/statement.ts';
import { ula } from '../../src/xapi/vocabulary.ts';

const options = { homePage: 'https://lms.test' };

describe('user ids', () => {
  it('mbox and the equal mbox_sha1sum give the same id, computed as the spec defines mbox_sha1sum', () => {
    const mbox = 'mailto:jane.doe@university.edu';
    const sha1sum = createHash('sha1').update(mbox).digest('hex');
    const fromMbox = userIdOf({ objectType: 'Agent', mbox }, options);
    expect(fromMbox).toBe(userIdOf({ objectType: 'Agent', mbox_sha1sum: sha1sum.toUpperCase() }, options));
    expect(fromMbox).toBe(`sha1-${sha1sum}`);
    expect(fromMbox).not.toContain('@');
    expect(userIdOf({ objectType: 'Agent', mbox: 'mailto:john@university.edu' }, options)).not.toBe(fromMbox);
  });

  it('an account on the home page keeps its name; other accounts, openids and e-mail-like names are hashed', () => {
    expect(
      userIdOf({ objectType: 'Agent', account: { homePage: 'https://lms.test/', name: 'SV00001' } }, options),
    ).toBe('SV00001');
    const other = userIdOf(
      { objectType: 'Agent', account: { homePage: 'https://other.test', name: 'SV00001' } },
      options,
    );
    expect(other).toMatch(/^acct-[0-9a-f]{40}$/);
    expect(
      userIdOf(
        { objectType: 'Agent', account: { homePage: 'https://lms.test', name: 'jane@uni.edu' } },
        options,
      ),
    ).toMatch(/^acct-/);
    expect(userIdOf({ objectType: 'Agent', openid: 'https://id.example/jane' }, options)).toMatch(
      /^openid-[0-9a-f]{40}$/,
    );
    expect(userIdOf({ objectType: 'Group', member: [] }, options)).toBeUndefined();
  });
});

describe('courses', () => {
  const base = {
    actor: { objectType: 'Agent', account: { homePage: 'https://lms.test', name: 'a' } },
    verb: { id: 'v' },
  } as const;
  const activity = (id: string, type?: string) => ({
    objectType: 'Activity' as const,
    id,
    ...(type ? { definition: { type } } : {}),
  });

  it('reads Open edX keys, Moodle course URLs, home-page course IRIs, then grouping, the extension and block keys', () => {
    const of = (s: Partial<Statement>) =>
      courseIdOf({ ...base, object: activity('https://x.test/thing'), ...s } as Statement, options);
    expect(of({ object: activity('http://localhost:18000/course/course-v1:edX+DemoX+Demo_Course') })).toBe(
      'course-v1:edX+DemoX+Demo_Course',
    );
    expect(
      of({
        context: { contextActivities: { parent: [activity('http://moodle.test/course/view.php?id=12')] } },
      }),
    ).toBe('moodle.test:course:12');
    expect(
      of({ context: { contextActivities: { grouping: [activity('https://lms.test/courses/COURSE9')] } } }),
    ).toBe('COURSE9');
    expect(
      of({
        context: {
          contextActivities: {
            parent: [activity('https://other.test/c/1', 'http://adlnet.gov/expapi/activities/course')],
          },
        },
      }),
    ).toMatch(/^iri-[0-9a-f]{40}$/);
    expect(of({ context: { extensions: { [ula.extension('course_id')]: 'C42' } } })).toBe('C42');
    expect(
      of({
        object: activity(
          'http://localhost:18000/xblock/block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e',
        ),
      }),
    ).toBe('course-v1:edX+DemoX+Demo_Course');
    expect(of({})).toBeUndefined();
  });
});

describe('redactStatement', () => {
  const agent = (n: number) => ({
    objectType: 'Agent' as const,
    name: `Person Number${n}`,
    mbox: `mailto:person${n}@uni.edu`,
  });
  const statement: Statement = {
    id: '00000000-0000-4000-8000-000000000001',
    actor: { objectType: 'Group', name: 'Team Name', member: [agent(1), agent(2)] },
    verb: { id: 'http://adlnet.gov/expapi/verbs/answered' },
    object: {
      objectType: 'SubStatement',
      actor: agent(3),
      verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: agent(4),
      context: { instructor: agent(5) },
    },
    context: {
      instructor: agent(6),
      team: { objectType: 'Group', name: 'Other Team', mbox: 'mailto:team@uni.edu' },
      contextAgents: [{ objectType: 'contextAgent', agent: agent(7) }],
      contextGroups: [{ objectType: 'contextGroup', group: { objectType: 'Group', member: [agent(8)] } }],
      extensions: { [ula.extension('email')]: 'leak@uni.edu', [ula.extension('registration_source')]: 'web' },
    },
    authority: {
      objectType: 'Agent',
      name: 'LRS Admin',
      account: { homePage: 'https://lms.test', name: 'admin@uni.edu' },
    },
  };

  it('leaves no e-mail address and no name anywhere, mbox becoming its mbox_sha1sum', () => {
    const text = JSON.stringify(redactStatement(statement));
    expect(text).not.toContain('@');
    expect(text).not.toMatch(/Person|Team|Admin/);
    expect(text).toContain(mboxSha1sum('mailto:person1@uni.edu'));
    expect(text).toContain(mboxSha1sum('mailto:person8@uni.edu'));
    expect(text).toContain('registration');
  });

  it('does not change the statement it is given, and the redacted actor keeps its user id', () => {
    const before = JSON.stringify(statement);
    const redacted = redactStatement(statement);
    expect(JSON.stringify(statement)).toBe(before);
    const person = { objectType: 'Agent' as const, mbox: 'mailto:jane@uni.edu', name: 'Jane' };
    expect(userIdOf(redactStatement({ ...statement, actor: person }).actor, options)).toBe(
      userIdOf(person, options),
    );
    expect(redacted.verb).toEqual(statement.verb);
  });
});

describe('derived ids have the API id form (events/define.ts idPattern)', () => {
  it('keeps ids of that form, hashes the others, so every course, item and user can be named in an API filter', () => {
    const iris = [
      'http://moodle.test:8080/course/view.php?id=12',
      'https://moodle.test/mod/resource/view.php?id=5',
      'http://localhost:18000/xblock/block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e39477cf34507a7a48f74be381fdd',
      'https://lms.test/videos/VID%20with%20space',
      `https://lms.test/items/${'x'.repeat(70)}`,
    ];
    for (const iri of iris) expect(idOfIri(iri, options)).toMatch(idPattern);
    expect(idOfIri('https://moodle.test/mod/resource/view.php?id=5', options)).toBe('moodle.test:resource:5');
    expect(idOfIri('https://moodle.test/blocks/thing.php?x=1', options)).toMatch(/^iri-[0-9a-f]{40}$/);
    expect(idOfIri('https://lms.test/videos/VID001', options)).toBe('VID001');
    const course = courseIdOf(
      {
        actor: { objectType: 'Agent', account: { homePage: 'https://lms.test', name: 'SV1' } },
        verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
        object: { objectType: 'Activity', id: 'http://moodle.test:8080/course/view.php?id=12' },
      },
      options,
    );
    expect(course).toBe('moodle.test:8080:course:12');
    expect(course).toMatch(idPattern);
    expect(
      userIdOf({ objectType: 'Agent', account: { homePage: 'https://lms.test', name: 'jane doe' } }, options),
    ).toMatch(/^acct-[0-9a-f]{40}$/);
  });
});
