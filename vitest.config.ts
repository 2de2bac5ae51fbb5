import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/build/**', '**/.cache/**', '**/.stack/**', '**/.data/**'];

/** Two projects: `unit` (no services, seconds) and `integration` (real Kafka, Cassandra, S3, Trino, Airflow). */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['functions/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['functions/*/test/**/*.int.test.ts', 'scripts/**/*.int.test.ts'],
          exclude,
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
