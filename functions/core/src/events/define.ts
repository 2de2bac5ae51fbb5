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
  userId: id,
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
  const shape = (definition.schema as unknown as z.ZodObject).shape;
  return Object.entries(shape)
    .filter(([, schema]) => schema.safeParse(undefined).success)
    .map(([name]) => name);
}
