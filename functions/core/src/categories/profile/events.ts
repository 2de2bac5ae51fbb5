import { z } from 'zod';
import { defineCategory, personal } from '../../events/define.ts';

export const profileFields = ['phone_number', 'email', 'address', 'emergency_contact'] as const;

export const profileEvents = defineCategory('profile', {
  CREATE_PROFILE: {
    roles: ['student', 'teacher'],
    description:
      'A user fills in their profile (once per user). Its personal fields never reach the raw lake (docs/privacy.md).',
    fields: {
      email: personal(z.email()),
      full_name: personal(z.string().min(1).max(200)),
      date_of_birth: personal(z.iso.date()),
      gender: personal(z.enum(['male', 'female', 'other'])),
      phone_number: personal(z.string().min(1).max(40)),
      major: z.string().min(1).max(100).nullable(),
      enrollment_year: z.number().int().min(1900).max(2100).nullable(),
    },
  },
  UPDATE_PROFILE: {
    roles: ['student', 'teacher'],
    description: 'A user changes one or two profile fields.',
    fields: {
      updated_fields: z.array(z.enum(profileFields)).min(1).max(profileFields.length),
      old_email: personal(z.email().optional()),
      new_email: personal(z.email().optional()),
      old_phone: personal(z.string().max(40).optional()),
      new_phone: personal(z.string().max(40).optional()),
    },
  },
  PROFILE_PICTURE_UPDATED: {
    roles: ['student', 'teacher'],
    description: 'A user uploads a new avatar.',
    // A fresh schema: marking the shared `field.url` would mark every URL field.
    fields: { picture_url: personal(z.string().min(1).max(512)) },
  },
  PASSWORD_CHANGED: {
    roles: ['student', 'teacher'],
    description: 'A user changes their password.',
    fields: { change_reason: z.enum(['user_initiated', 'expired', 'reset']).optional() },
  },
});
