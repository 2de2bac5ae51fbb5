/**
 * The envelope every LMS event shares, and how it maps onto CloudEvents 1.0 attributes.
 *
 * | reference field  | here                                                         |
 * |------------------|--------------------------------------------------------------|
 * | event_category   | CloudEvent `source` `/lms/<category>` (and the Kafka topic)    |
 * | event_type       | CloudEvent `type` `edu.lms.<category>.<event_type lower-case>` |
 * | user_id          | CloudEvent `subject` and `data.user_id`                       |
 * | timestamp        | CloudEvent `time`, RFC 3339 UTC with milliseconds              |
 * | (none)           | CloudEvent `id`, a UUID v7: the dedup key everywhere          |
 */
export const categories = ['auth', 'assessment', 'video', 'course', 'profile', 'notification'] as const;
export type Category = (typeof categories)[number];

export const roles = ['student', 'teacher'] as const;
export type Role = (typeof roles)[number];

/** Kafka topic of each category (the older system's names: docs/architecture.md#the-older-system). */
export const topicOf = (category: Category): string => `${category}_topic`;
export const deadLetterTopic = 'dead_letter_topic';

/** Partition counts of the older system's topics (kept: they size consumer parallelism). */
export const topicPartitions: Record<Category, number> = {
  auth: 3,
  assessment: 5,
  video: 5,
  course: 3,
  profile: 2,
  notification: 3,
};

export const typePrefix = 'edu.lms.';
export const cloudEventType = (category: Category, eventType: string): string =>
  `${typePrefix}${category}.${eventType.toLowerCase()}`;
export const cloudEventSource = (category: Category): string => `/lms/${category}`;

/** A validated LMS event: the CloudEvent envelope plus its typed data. */
export interface LmsEvent<Data extends BaseEventData = BaseEventData> {
  /** UUID v7, unique per event; the dedup key. */
  id: string;
  category: Category;
  /** Reference event type, upper-case, e.g. `VIDEO_WATCHED`. */
  eventType: string;
  /** Event time, RFC 3339 UTC with milliseconds. */
  time: string;
  data: Data;
}

export interface BaseEventData {
  user_id: string;
  role: Role;
  [field: string]: unknown;
}
