import { describe, expect, it } from 'vitest';
import { ScramClient } from '../src/adapters/kafka-sasl.ts';

describe('SCRAM client (the wire producer’s SASL)', () => {
  // RFC 7677 section 3: the SCRAM-SHA-256 exchange of user "user", password "pencil".
  const serverFirst =
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

  it('computes the RFC 7677 client proof and accepts its server signature', () => {
    const scram = new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(scram.clientFirst()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    expect(scram.clientFinal(serverFirst)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => scram.checkServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow();
  });

  it('refuses a wrong server signature, a server error, a foreign nonce and too few iterations', () => {
    const scram = new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    scram.clientFirst();
    scram.clientFinal(serverFirst);
    expect(() => scram.checkServerFinal('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).toThrow(
      /server signature/,
    );
    expect(() => scram.checkServerFinal('e=invalid-proof')).toThrow(/invalid-proof/);
    const other = new ScramClient('sha512', 'user', 'pencil', 'abc');
    other.clientFirst();
    expect(() => other.clientFinal('r=xyz123,s=AAAA,i=4096')).toThrow(/nonce/);
    expect(() => other.clientFinal('r=abc123,s=AAAA,i=1000')).toThrow(/iterations/);
  });

  it('escapes = and , in the user name', () => {
    expect(new ScramClient('sha512', 'a=b,c', 'p', 'n').clientFirst()).toBe('n,,n=a=3Db=2Cc,r=n');
  });
});
