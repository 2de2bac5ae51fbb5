/**
 * Pseudonymous user ids (`ULA_PSEUDONYMIZE=hmac`): a keyed HMAC-SHA-256 of the id, so the same student has
 * the same pseudonym in every component (ingest, speed, xAPI, erasure) and nobody without the key can
 * compute it from a known id. The pseudonym keeps the catalogue's id form (`idPattern`): `p` and 32 hex
 * digits (128 bits of the HMAC; collisions need ~2^64 students).
 */
import { createHmac } from 'node:crypto';
import { privacy, readSettings } from '../settings.ts';

export type Pseudonymize = (userId: string) => string;

/** A pseudonym is recognisable by its form, so a second application is a no-op (a resent event). */
export const pseudonymPattern = /^p[0-9a-f]{32}$/;

export const minimumKeyLength = 32;

export function hmacPseudonymizer(key: string): Pseudonymize {
  if (key.length < minimumKeyLength)
    throw new Error(`the pseudonym key must have at least ${minimumKeyLength} characters`);
  const cache = new Map<string, string>();
  return (userId) => {
    if (pseudonymPattern.test(userId)) return userId;
    let pseudonym = cache.get(userId);
    if (pseudonym === undefined) {
      pseudonym = `p${createHmac('sha256', key).update(userId).digest('hex').slice(0, 32)}`;
      // Bounded: a university has far fewer users than this; beyond it, start over.
      if (cache.size >= 1_000_000) cache.clear();
      cache.set(userId, pseudonym);
    }
    return pseudonym;
  };
}

/** Identity when pseudonymisation is off; the HMAC otherwise (start fails without a key of the length). */
export function userIdPseudonymizer(env: NodeJS.ProcessEnv = process.env): Pseudonymize | undefined {
  const v = readSettings(env, privacy, (values) =>
    values.pseudonymize === 'hmac' && (values.pseudonymKey?.length ?? 0) < minimumKeyLength
      ? [`ULA_PSEUDONYM_KEY: ULA_PSEUDONYMIZE=hmac needs a key of at least ${minimumKeyLength} characters`]
      : [],
  );
  return v.pseudonymize === 'hmac' ? hmacPseudonymizer(v.pseudonymKey as string) : undefined;
}
