import type { Logger } from './speed-handler.ts';

/** Structured logs: one JSON object per line, with level, time and function name. */
const write = (stream: NodeJS.WriteStream, level: string, fields: Record<string, unknown>) =>
  stream.write(`${JSON.stringify({ level, time: new Date().toISOString(), fn: 'speed', ...fields })}\n`);

export const log: Logger = {
  info: (fields) => write(process.stdout, 'info', fields),
  warn: (fields) => write(process.stdout, 'warn', fields),
  error: (fields) => write(process.stderr, 'error', fields),
};
