/** The short summary `npm start` prints once the dashboard shows the history (stdout). */
import type { DemoArgs } from './args.ts';
import type { DemoSummary } from './pipeline.ts';

const n = (value: number) => value.toLocaleString('en-US');

export function summaryText(s: DemoSummary, args: DemoArgs): string {
  const lines = [
    '',
    `Dashboard: ${s.url}`,
    `API:       ${s.url}api/v1/  (OpenAPI: ${s.url}api/v1/openapi.json)`,
    '',
    `events generated    ${n(s.eventsGenerated)}`,
    `ingested (acked)    ${n(s.eventsIngested)}`,
    `rejected (4xx)      ${n(s.rejected)}  → dead letters in ${s.deadLetterFile} and the lake's dead-letter/`,
    `speed events        ${n(s.speedEvents)}  (inside the speed layer's horizon)`,
  ];
  if (s.xapi) {
    lines.push(
      `xAPI requests       ${n(s.xapi.accepted)} stored (${n(s.xapi.statements)} statements), ` +
        `${n(s.xapi.rejected)} refused (4xx: invalid statements)  → lake xapi/statements/`,
    );
  }
  if (s.batch) {
    lines.push(
      `batch               ${s.batch.status}: ${n(s.batch.daysRecomputed.length)} days recomputed, ` +
        `${n(s.batch.eventsRead)} events read, ${n(s.batch.rowsWritten)} view rows written`,
    );
  }
  lines.push('', 'time per stage:');
  for (const t of s.timings) {
    lines.push(
      `  ${t.stage.padEnd(38)} ${t.seconds.toFixed(1).padStart(6)} s  (CPU ${t.cpuSeconds.toFixed(1)} s)${t.note ? `  ${t.note}` : ''}`,
    );
  }
  lines.push(
    `  ${'total (process start → dashboard)'.padEnd(38)} ${s.totalSeconds.toFixed(1).padStart(6)} s  (CPU ${s.totalCpuSeconds.toFixed(1)} s)`,
  );
  lines.push(
    '',
    args.live
      ? `Live traffic: ${args.rate} events/s to ${args.xapi ? 'the LRS as xAPI statements' : 'ingest and speed'}. Ctrl-C stops cleanly.`
      : 'No live traffic (--no-live). Ctrl-C stops.',
    `Data in ${s.dataDir} (kept between runs; --reset wipes it).`,
    '',
  );
  return lines.join('\n');
}

export function printSummary(s: DemoSummary, args: DemoArgs): void {
  process.stdout.write(summaryText(s, args));
}
