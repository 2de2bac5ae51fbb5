/**
 * Resolving ids to people (docs/privacy.md): only for tokens with the `privacy` scope, and only when ingest
 * keeps personal data in the restricted table (`ULA_PII=store`); every other route serves ids and
 * aggregates only.
 */
import { HttpError } from '../http.ts';
import { route } from './route.ts';

export const privacyRoutes = [
  route({
    path: '/api/v1/privacy/users/{userId}',
    summary:
      'Who a user id is: the personal fields of the restricted table (newest values) and, when ids are pseudonymised, the id the LMS sent. The id may be either. Needs the `privacy` scope and ULA_PII=store.',
    tag: 'students',
    scope: 'privacy',
    params: {},
    handler: async (_q, input, deps) => {
      if (deps.personal === undefined)
        throw new HttpError(
          404,
          'not_found',
          'no personal data is kept (ULA_PII=drop): ids cannot be resolved to people',
        );
      const id = input.path['userId']!;
      const identity = await deps.personal.lookup(id);
      if (identity === undefined) throw new HttpError(404, 'not_found', `no personal data of user ${id}`);
      return identity;
    },
  }),
];
