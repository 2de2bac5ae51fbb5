/**
 * Profile PII never leaves the serving layer: responses carry ids and aggregates only. Any column or
 * field whose name says it holds contact or identity details is dropped from every row served.
 */
const piiNames = new Set([
  'email',
  'email_address',
  'phone',
  'phone_number',
  'mobile',
  'full_name',
  'fullname',
  'name',
  'first_name',
  'last_name',
  'display_name',
  'date_of_birth',
  'dob',
  'birth_date',
  'birthday',
  'address',
  'home_address',
]);

export const isPiiField = (name: string): boolean => {
  const lower = name.toLowerCase();
  return piiNames.has(lower) || lower.endsWith('_email') || lower.endsWith('_phone');
};

/** A copy of the row without PII fields. */
export function withoutPii<T extends Record<string, unknown>>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!isPiiField(k)) out[k] = v;
  return out as T;
}
