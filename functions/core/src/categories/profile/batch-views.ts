/** Batch views of the profile half of the profile_notification job (the older system's job 5). */
import type { LmsEvent } from '../../events/envelope.ts';
import { type EventNamed, isEvent } from '../../events/typed.ts';
import { count, countDistinct, earliest, latest } from '../../views/aggregates.ts';
import { defineBatchView, eventMs, key } from '../../views/define.ts';

type Update = EventNamed<'UPDATE_PROFILE'>;
const isUpdate = isEvent('UPDATE_PROFILE');
const user = key.text<LmsEvent>((e) => e.data.user_id);

export const profileUpdateFrequency = defineBatchView({
  name: 'profile_update_frequency',
  job: 'profile_notification',
  doc: 'Per user: UPDATE_PROFILE events, first and last update.',
  sources: ['profile'],
  where: isUpdate,
  period: 'all',
  keys: { user_id: user },
  partitionKey: ['user_id'],
  metrics: {
    total_profile_updates: count(),
    first_update: earliest(eventMs),
    last_update: latest(eventMs),
  },
});

/** A piece of an UPDATE_PROFILE event: its actor and one of its `updated_fields`. */
type FieldPiece = Omit<Update, 'data'> & {
  data: Pick<Update['data'], 'user_id' | 'role'> & { field_name: string };
};

/** One piece per field named in `updated_fields`: the event's actor and the field, as `data.field_name`. */
const perUpdatedField = (e: Update): FieldPiece[] => {
  const fields = e.data.updated_fields;
  const { user_id, role } = e.data;
  return Array.isArray(fields)
    ? fields.map((f) => ({ ...e, data: { user_id, role, field_name: String(f) } }))
    : [];
};

export const profileFieldChanges = defineBatchView<'UPDATE_PROFILE', FieldPiece>({
  name: 'profile_field_changes',
  job: 'profile_notification',
  doc: 'Per profile field (each element of updated_fields): updates naming it and distinct users.',
  sources: ['profile'],
  where: isUpdate,
  explode: perUpdatedField,
  period: 'all',
  keys: { field_name: key.text((e) => e.data.field_name) },
  partitionKey: ['field_name'],
  metrics: {
    total_updates: count(),
    unique_users_updating: countDistinct((e) => e.data.user_id),
  },
});

export const profileAvatarChanges = defineBatchView({
  name: 'profile_avatar_changes',
  job: 'profile_notification',
  doc: 'Per user: PROFILE_PICTURE_UPDATED events, first and last change.',
  sources: ['profile'],
  where: (e) => e.eventType === 'PROFILE_PICTURE_UPDATED',
  period: 'all',
  keys: { user_id: user },
  partitionKey: ['user_id'],
  metrics: {
    avatar_changes_count: count(),
    first_change: earliest(eventMs),
    last_change: latest(eventMs),
  },
});

export const profileDailyActivity = defineBatchView({
  name: 'profile_daily_activity',
  job: 'profile_notification',
  doc: 'Per local date and profile event type: distinct users and events.',
  sources: ['profile'],
  period: 'day',
  keys: { event_type: key.text((e) => e.eventType) },
  partitionKey: ['date'],
  metrics: {
    unique_users: countDistinct((e) => e.data.user_id),
    event_count: count(),
  },
});
