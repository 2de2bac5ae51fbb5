/**
 * Who a (pseudonymous) user id is, from the restricted personal-data table (`ULA_PII=store`): the serving
 * API's `privacy` route resolves ids with it for callers whose token has the `privacy` scope. The table is
 * small (the personal fields of signups and profile changes: a few rows per user), so it is read whole and
 * kept for `refreshMs`; erasure removes a user's rows, and the next refresh forgets them.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import { type PersonalDataRow, readPersonalData } from '../lake/personal-data.ts';

export interface PersonIdentity {
  /** The id as the views know it (a pseudonym under `ULA_PSEUDONYMIZE=hmac`). */
  user_id: string;
  /** The id the LMS sent; null unless pseudonymised. */
  original_user_id: string | null;
  /** The newest value of each personal field (a later UPDATE_PROFILE's `new_email` replaces `email`). */
  fields: Record<string, unknown>;
  /** When the newest of them was sent. */
  updated_at: string;
}

/** Field changes carry their new value under `new_<field>`: the value they replace. */
const changeOf: Record<string, string> = { new_email: 'email', new_phone: 'phone_number' };

function identitiesOf(rows: readonly PersonalDataRow[]): Map<string, PersonIdentity> {
  const byUser = new Map<string, PersonIdentity>();
  const ordered = [...rows].sort((a, b) => a.event_time.getTime() - b.event_time.getTime());
  for (const row of ordered) {
    const identity = byUser.get(row.user_id) ?? {
      user_id: row.user_id,
      original_user_id: row.original_user_id,
      fields: {},
      updated_at: row.event_time.toISOString(),
    };
    for (const [name, value] of Object.entries(JSON.parse(row.fields) as Record<string, unknown>)) {
      if (name.startsWith('old_')) continue;
      identity.fields[changeOf[name] ?? name] = value;
    }
    identity.updated_at = row.event_time.toISOString();
    byUser.set(row.user_id, identity);
  }
  return byUser;
}

export class PersonalDirectory {
  private snapshot:
    | { at: number; byUser: Map<string, PersonIdentity>; byOriginal: Map<string, string> }
    | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly lake: ObjectStore,
    private readonly refreshMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The identity of a user id as the views know it, or of the id the LMS sent; undefined when unknown. */
  async lookup(id: string): Promise<PersonIdentity | undefined> {
    if (this.snapshot === undefined || this.now() - this.snapshot.at >= this.refreshMs) await this.load();
    const snapshot = this.snapshot!;
    return snapshot.byUser.get(id) ?? snapshot.byUser.get(snapshot.byOriginal.get(id) ?? '');
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const byUser = identitiesOf(await readPersonalData(this.lake));
        const byOriginal = new Map<string, string>();
        for (const identity of byUser.values())
          if (identity.original_user_id !== null) byOriginal.set(identity.original_user_id, identity.user_id);
        this.snapshot = { at: this.now(), byUser, byOriginal };
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
