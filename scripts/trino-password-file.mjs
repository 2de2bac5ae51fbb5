#!/usr/bin/env node
// Trino's password file (password-authenticator.name=file) from `user password` lines on stdin:
// prints `user:iterations:salt:hash`, the PBKDF2 form Trino 476 verifies (PBKDF2WithHmacSHA1, hex salt and
// hash, >= 1000 iterations; its other form, bcrypt, has no implementation in Node's standard library).
// The passwords are random 48-hex-digit strings (trino.sh, deploy_minikube.sh), so the hash only has to
// keep the file from being a copy of them. Reads stdin so no password is on a command line.
//
//   printf 'ula_admin %s\n' "$password" | node scripts/trino-password-file.mjs > password.db
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const iterations = 65536;
const lines = readFileSync(0, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const out = lines.map((line) => {
  const [user, password, ...rest] = line.trim().split(/\s+/);
  if (!user || !password || rest.length > 0 || !/^[A-Za-z0-9_.-]+$/.test(user)) {
    console.error(`trino-password-file: expected "user password", got a line for ${JSON.stringify(user)}`);
    process.exit(2);
  }
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha1');
  return `${user}:${iterations}:${salt.toString('hex')}:${hash.toString('hex')}`;
});
process.stdout.write(`${out.join('\n')}\n`);
