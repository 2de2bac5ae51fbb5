/**
 * The catalogue's event types as TypeScript types, inferred from their zod schemas: what view declarations
 * read. `EventOf<'video'>` is a VIDEO_WATCHED event whose `data` has exactly the fields its schema declares
 * (plus `user_id` and `role`), so reading a misspelt field, or a field of another event type, fails `tsc`.
 * Types only: at run time an event is the `LmsEvent` that `validateEvent` returns.
 */
import type { eventsByCategory } from './catalogue.ts';
import type { EventTypeDefinition } from './define.ts';
import type { Category } from './envelope.ts';

type Catalogue = typeof eventsByCategory;

/** The declared fields only: validated data may carry more (loose objects), but views read what is declared. */
type Declared<Data> = {
  [K in keyof Data as string extends K ? never : number extends K ? never : K]: Data[K];
};

type DataOf<Definition> = Definition extends EventTypeDefinition<infer Data> ? Declared<Data> : never;

/** The event type names (`VIDEO_WATCHED`, …) of some categories. */
export type EventTypeName<C extends Category = Category> = {
  [K in C]: keyof Catalogue[K] & string;
}[C];

/** One event type of the catalogue with its typed data. */
export interface TypedEvent<C extends Category, T extends string, Data> {
  id: string;
  category: C;
  eventType: T;
  time: string;
  data: Data;
}

/** The events of some categories: a union discriminated by `eventType`. */
export type EventOf<C extends Category = Category> = {
  [K in C]: {
    [T in keyof Catalogue[K] & string]: TypedEvent<K, T, DataOf<Catalogue[K][T]>>;
  }[keyof Catalogue[K] & string];
}[C];

/** Any event of the catalogue, typed. */
export type AnyEvent = EventOf;

/** The event of one event type (names are unique across categories). */
export type EventNamed<T extends EventTypeName> = Extract<AnyEvent, { eventType: T }>;

/** The data fields some of the events `E` declare. */
export type FieldOf<E extends { data: object }> = E extends { data: infer D } ? keyof D & string : never;

/** The type of field `F` over the events `E` that declare it; `undefined` when some of them do not. */
export type FieldType<E extends { data: object }, F extends string> = E extends { data: infer D }
  ? F extends keyof D
    ? D[F]
    : undefined
  : never;

/**
 * Field `name` of an event's data, for views whose events do not all declare it (e.g. `course_id` over the
 * auth, video and course events): `name` must be a field of one of them; undefined on the others.
 */
export const fieldOf = <E extends { data: object }, F extends string>(
  e: E,
  name: F & FieldOf<E>,
): FieldType<E, F> => (e.data as Record<string, unknown>)[name] as FieldType<E, F>;

/** A type guard for one event type: narrows a union of events to that type, so its fields can be read. */
export const isEvent =
  <T extends EventTypeName>(type: T) =>
  (e: { eventType: string }): e is EventNamed<T> =>
    e.eventType === type;
