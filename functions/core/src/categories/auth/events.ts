import { z } from 'zod';
import { defineCategory, field, personal } from '../../events/define.ts';

export const authEvents = defineCategory('auth', {
  LOGIN: {
    roles: ['student', 'teacher'],
    description: 'A user opens a session.',
    fields: { session_id: field.sessionId },
  },
  LOGOUT: {
    roles: ['student', 'teacher'],
    description: 'A user closes the session opened by the matching LOGIN.',
    fields: { session_id: field.sessionId },
  },
  SIGNUP: {
    roles: ['student', 'teacher'],
    description: 'A user account is created (once per user).',
    fields: { email: personal(z.email()), registration_source: z.enum(['web', 'mobile', 'admin']) },
  },
});
