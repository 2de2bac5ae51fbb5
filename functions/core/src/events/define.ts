import { z } from 'zod';
import { type BaseEventData, type Category, cloudEventType, type Role, roles } from './envelope.ts';

/** One event type of the catalogue: its schema is the single source of its TypeScript type and validation. */
export interface EventTypeDefinition<Data extends BaseEventData = BaseEventData> {
  category: Category;
  eventType: string;
  cloudEventType: string;
  /** Roles allowed to emit this event. */
  roles: readonly Role[];
  description: string;
  schema: z.ZodType<Data>;
}

interface EventTypeSpec<Shape extends z.ZodRawShape> {
  roles: readonly Role[];
  description: string;
  fields: Shape;
}

const id = z.string().min(1).max(64);
/** A distinct instance, so the fields holding a user id can be told apart from other ids (pseudonymisation). */
const userId = z.string().min(1).max(64);

/** Schemas marked `personal(...)`: data about a person that no view reads (docs/privacy.md). */
const personalSchemas = new WeakSet<z.ZodType>();

/**
 * Marks a field as personal data (contact details, name, birth date, gender, a photo): ingest validates it
 * and then keeps it out of the raw lake, in the restricted personal-data table only with `ULA_PII=store`.
 * Wrap the whole field (`personal(z.email().optional())`), so the mark is on the schema the shape holds.
 */
export function personal<T extends z.ZodType>(schema: T): T {
  personalSchemas.add(schema);
  return schema;
}

/**
 * The form of ids the API takes in paths and filters, and the form the xAPI mapping gives ids it derives
 * from foreign IRIs: letters, digits, `_ . : + @ -` (`+` and `@` as in Open edX course and block keys).
 */
export const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.:+@-]{0,63}$/;

/** A UUID in its text form, any version (event ids, xAPI statement ids and registrations). */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Shared field types, so every category spells them the same way. */
export const field = {
  id,
  userId,
  courseId: id,
  sessionId: z.uuid(),
  instant: z.iso.datetime({ precision: 3 }),
  count: z.number().int().min(0),
  seconds: z.number().int().min(0),
  url: z.string().min(1).max(512),
} as const;

/** Declares the event types of one category; unknown data fields are preserved (loose objects). */
export function defineCategory<Specs extends Record<string, EventTypeSpec<z.ZodRawShape>>>(
  category: Category,
  specs: Specs,
): { [K in keyof Specs]: EventTypeDefinition<BaseEventData & z.infer<z.ZodObject<Specs[K]['fields']>>> } {
  const out: Record<string, EventTypeDefinition> = {};
  for (const [eventType, spec] of Object.entries(specs)) {
    const roleSchema =
      spec.roles.length === roles.length ? z.enum(roles) : z.enum(spec.roles as [Role, ...Role[]]);
    out[eventType] = {
      category,
      eventType,
      cloudEventType: cloudEventType(category, eventType),
      roles: spec.roles,
      description: spec.description,
      schema: z.looseObject({
        user_id: field.userId,
        role: roleSchema,
        ...spec.fields,
      }) as unknown as z.ZodType<BaseEventData>,
    };
  }
  return out as never;
}

/** The data fields of an event type that may be absent (declared `.optional()`: docs/events.md). */
export function optionalFieldsOf(definition: EventTypeDefinition): string[] {
  return Object.entries(shapeOf(definition))
    .filter(([, schema]) => schema.safeParse(undefined).success)
    .map(([name]) => name);
}

const shapeOf = (definition: EventTypeDefinition): Record<string, z.ZodType> =>
  (definition.schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;

/** The data fields of an event type marked `personal(...)`. */
export function personalFieldsOf(definition: EventTypeDefinition): string[] {
  return Object.entries(shapeOf(definition))
    .filter(([, schema]) => personalSchemas.has(schema))
    .map(([name]) => name);
}

/** The data fields of an event type that hold a user id (`field.userId`: `user_id`, a grader's `student_id`). */
export function userIdFieldsOf(definition: EventTypeDefinition): string[] {
  return Object.entries(shapeOf(definition))
    .filter(([, schema]) => schema === userId)
    .map(([name]) => name);
}
