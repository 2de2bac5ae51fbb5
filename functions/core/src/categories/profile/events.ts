import { z } from 'zod';
import { defineCategory, field } from '../../events/define.ts';

export const profileFields = ['phone_number', 'email', 'address', 'emergency_contact'] as const;

export const profileEvents = defineCategory('profile', {
  CREATE_PROFILE: {
    roles: ['student', 'teacher'],
    description: 'A user fills in their profile (once per user). Carries PII: never served by the API.',
    fields: {
      email: z.email(),
      full_name: z.string().min(1).max(200),
      date_of_birth: z.iso.date(),
      gender: z.enum(['male', 'female', 'other']),
      phone_number: z.string().min(1).max(40),
      major: z.string().min(1).max(100).nullable(),
      enrollment_year: z.number().int().min(1900).max(2100).nullable(),
    },
  },
  UPDATE_PROFILE: {
    roles: ['student', 'teacher'],
    description: 'A user changes one or two profile fields.',
    fields: {
      updated_fields: z.array(z.enum(profileFields)).min(1).max(profileFields.length),
      old_email: z.email().optional(),
      new_email: z.email().optional(),
      old_phone: z.string().max(40).optional(),
      new_phone: z.string().max(40).optional(),
    },
  },
  PROFILE_PICTURE_UPDATED: {
    roles: ['student', 'teacher'],
    description: 'A user uploads a new avatar.',
    fields: { picture_url: field.url },
  },
  PASSWORD_CHANGED: {
    roles: ['student', 'teacher'],
    description: 'A user changes their password.',
    fields: { change_reason: z.enum(['user_initiated', 'expired', 'reset']).optional() },
  },
});
