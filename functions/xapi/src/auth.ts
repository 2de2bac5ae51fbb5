/**
 * HTTP Basic authentication of the LRS (xAPI Communication §4: Basic is one of the schemes an LRS offers).
 * Credentials come from ULA_XAPI_CREDENTIALS (a Secret in the cluster); secrets are compared in constant
 * time. No `Authorization` or unknown credentials → 401 (with WWW-Authenticate); known credentials without
 * the scope → 403.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { XapiCredential } from '@ula/core/settings';
import { XapiError } from '@ula/core/xapi/validate';

const digest = (text: string): Buffer => hash('sha256', text, 'buffer');

/** The digest of each configured secret, taken once (every request is compared with every credential). */
const secretDigests = new WeakMap<XapiCredential, Buffer>();
const secretDigest = (credential: XapiCredential): Buffer => {
  let known = secretDigests.get(credential);
  if (!known) {
    known = digest(credential.secret);
    secretDigests.set(credential, known);
  }
  return known;
};

/** Throws XapiError 401/403 unless the header carries credentials with `scope` (or `all`); no credentials configured: open. */
export function authorize(
  header: string | string[] | undefined,
  credentials: readonly XapiCredential[] | undefined,
  scope: string,
): void {
  if (credentials === undefined) return;
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value ?? '');
  if (!match)
    throw new XapiError(
      401,
      'unauthorized',
      'authorization',
      'HTTP Basic',
      'this LRS needs HTTP Basic credentials',
    );
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon < 0 ? decoded : decoded.slice(0, colon);
  const secret = colon < 0 ? '' : decoded.slice(colon + 1);
  const given = digest(secret);
  const credential = credentials.find((c) => c.key === key && timingSafeEqual(secretDigest(c), given));
  if (!credential)
    throw new XapiError(
      401,
      'unauthorized',
      'authorization',
      'known credentials',
      'unknown key or wrong secret',
    );
  if (!credential.scopes.includes(scope) && !credential.scopes.includes('all'))
    throw new XapiError(
      403,
      'forbidden',
      'authorization',
      `scope ${scope} or all`,
      `credentials ${key} may not ${scope}`,
    );
}
