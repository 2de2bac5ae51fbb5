/**
 * SASL for the wire producer (kafka-wire.ts), as kafkajs does it for the other clients: SaslHandshake v1
 * then SaslAuthenticate v1 frames carrying PLAIN or SCRAM-SHA-256/512 (RFC 5802 / 7677; Kafka's SCRAM has no
 * channel binding: `n,,`). The server's final signature is checked, so a broker that does not know the
 * password cannot pass for one that does.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KafkaConnection } from '@ula/core/config';
import type { KafkaSaslMechanism } from '@ula/core/settings';
import { describeKafkaError, Reader, Writer } from './kafka-wire.ts';

/** TLS (the CA certificates, PEM; none: the system's) and SASL of the broker connections. */
export interface WireSecurity {
  tls?: { ca?: string[] };
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

/** The wire producer's security of a KafkaConnection (ULA_KAFKA_*): the CA file read now. */
export function wireSecurityOf(connection: KafkaConnection): WireSecurity {
  return {
    ...(connection.tls
      ? { tls: connection.tls.caFile ? { ca: [readFileSync(connection.tls.caFile, 'utf8')] } : {} }
      : {}),
    ...(connection.sasl ? { sasl: { ...connection.sasl } } : {}),
  };
}

const saslApi = { handshake: 17, authenticate: 36 } as const;

/** What a SASL exchange needs of a connection: one request, its response body. */
export type SaslRequest = (apiKey: number, apiVersion: number, body: readonly Buffer[]) => Promise<Buffer>;

/** Authenticates a fresh connection; throws a plain Error (not retried: a wrong password stays wrong). */
export async function authenticate(
  request: SaslRequest,
  sasl: NonNullable<WireSecurity['sasl']>,
  address: string,
): Promise<void> {
  const mechanism = sasl.mechanism.toUpperCase();
  const handshake = new Reader(
    await request(saslApi.handshake, 1, [new Writer(64).string(mechanism).view()]),
  );
  const code = handshake.int16();
  if (code !== 0) {
    const offered = handshake.array((r) => r.string());
    throw new Error(
      `Kafka ${address}: SASL ${mechanism} not enabled (${describeKafkaError(code)}; offered: ${offered.join(', ')})`,
    );
  }
  const exchange = async (bytes: Buffer): Promise<Buffer> => {
    const r = new Reader(
      await request(saslApi.authenticate, 1, [new Writer(bytes.length + 8).bytes(bytes).view()]),
    );
    const error = r.int16();
    const message = r.string();
    const length = r.int32();
    const reply = length < 0 ? Buffer.alloc(0) : Buffer.from(r.take(length));
    if (error !== 0)
      throw new Error(
        `Kafka ${address}: SASL ${mechanism} authentication failed: ${message ?? describeKafkaError(error)}`,
      );
    return reply;
  };
  if (sasl.mechanism === 'plain') {
    await exchange(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`));
    return;
  }
  const scram = new ScramClient(
    sasl.mechanism === 'scram-sha-512' ? 'sha512' : 'sha256',
    sasl.username,
    sasl.password,
  );
  const serverFirst = (await exchange(Buffer.from(scram.clientFirst()))).toString();
  const serverFinal = (await exchange(Buffer.from(scram.clientFinal(serverFirst)))).toString();
  scram.checkServerFinal(serverFinal);
}

/** The client side of one SCRAM exchange (RFC 5802), no channel binding. */
export class ScramClient {
  private readonly nonce: string;
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | undefined;

  constructor(
    private readonly hash: 'sha256' | 'sha512',
    private readonly username: string,
    private readonly password: string,
    nonce = randomBytes(24).toString('base64url'),
  ) {
    this.nonce = nonce;
  }

  clientFirst(): string {
    const name = this.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.clientFirstBare = `n=${name},r=${this.nonce}`;
    return `n,,${this.clientFirstBare}`;
  }

  clientFinal(serverFirst: string): string {
    const fields = new Map(serverFirst.split(',').map((f) => [f.slice(0, 1), f.slice(2)] as const));
    const nonce = fields.get('r') ?? '';
    const salt = Buffer.from(fields.get('s') ?? '', 'base64');
    const iterations = Number(fields.get('i'));
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length)
      throw new Error('SCRAM: the server nonce does not extend the client nonce');
    if (!(iterations >= 4096))
      throw new Error(`SCRAM: ${fields.get('i')} iterations (at least 4096 expected)`);
    const length = this.hash === 'sha512' ? 64 : 32;
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), salt, iterations, length, this.hash);
    const hmac = (key: Buffer, text: string) => createHmac(this.hash, key).update(text).digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  checkServerFinal(serverFinal: string): void {
    if (serverFinal.startsWith('e=')) throw new Error(`SCRAM: the server refused: ${serverFinal.slice(2)}`);
    const given = Buffer.from(serverFinal.startsWith('v=') ? serverFinal.slice(2) : '', 'base64');
    const expected = this.expectedServerSignature;
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new Error('SCRAM: the server signature is wrong (not the broker that holds this password)');
  }
}
