import { describe, expect, it } from 'vitest';
import { kafkaClientConfig } from '../src/adapters/kafka-client.ts';
import { loadConfig, loadKafkaConnection } from '../src/config.ts';
import { InvalidSettings } from '../src/settings.ts';

const problems = (read: () => unknown): readonly string[] => {
  try {
    read();
    return [];
  } catch (error) {
    if (error instanceof InvalidSettings) return error.problems;
    throw error;
  }
};

describe('Kafka client settings (ULA_KAFKA_*)', () => {
  it('plaintext by default; SASL with user and password; TLS from ULA_KAFKA_TLS or a CA file', () => {
    expect(loadKafkaConnection({})).toEqual({ brokers: ['127.0.0.1:9092'] });
    expect(loadKafkaConnection({ ULA_KAFKA_BROKERS: 'k:9093' }, ['flag:1'])).toEqual({ brokers: ['flag:1'] });
    expect(
      loadConfig({
        ULA_KAFKA_BROKERS: 'k:9093',
        ULA_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        ULA_KAFKA_USERNAME: 'ula',
        ULA_KAFKA_PASSWORD: 'pw',
        ULA_KAFKA_CA_FILE: '/run/ca.crt',
      }).kafka,
    ).toEqual({
      brokers: ['k:9093'],
      tls: { caFile: '/run/ca.crt' },
      sasl: { mechanism: 'scram-sha-512', username: 'ula', password: 'pw' },
    });
    expect(loadKafkaConnection({ ULA_KAFKA_TLS: '1' })).toEqual({ brokers: ['127.0.0.1:9092'], tls: {} });
  });

  it('refuses SASL without its user or password, credentials without a mechanism, an unknown mechanism', () => {
    expect(problems(() => loadKafkaConnection({ ULA_KAFKA_SASL_MECHANISM: 'scram-sha-512' }))).toEqual([
      'ULA_KAFKA_SASL_MECHANISM=scram-sha-512 needs ULA_KAFKA_USERNAME and ULA_KAFKA_PASSWORD',
    ]);
    expect(problems(() => loadConfig({ ULA_KAFKA_USERNAME: 'ula', ULA_KAFKA_PASSWORD: 'pw' }))).toEqual([
      expect.stringMatching(/set without ULA_KAFKA_SASL_MECHANISM/),
    ]);
    expect(problems(() => loadKafkaConnection({ ULA_KAFKA_SASL_MECHANISM: 'gssapi' }))).toEqual([
      expect.stringMatching(
        /^ULA_KAFKA_SASL_MECHANISM="gssapi": expected scram-sha-512, scram-sha-256 or plain/,
      ),
    ]);
  });

  it('gives each kafkajs client its own SASL object (kafkajs keeps its authenticator on it)', () => {
    const connection = loadKafkaConnection({
      ULA_KAFKA_SASL_MECHANISM: 'plain',
      ULA_KAFKA_USERNAME: 'u',
      ULA_KAFKA_PASSWORD: 'p',
    });
    const a = kafkaClientConfig(connection, 'a');
    const b = kafkaClientConfig(connection, 'b');
    expect(a.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
    expect(a.sasl).not.toBe(b.sasl);
    expect(a.sasl).not.toBe(connection.sasl);
    expect(a.ssl).toBeUndefined();
  });
});
