/**
 * `npm start`: the whole pipeline embedded in one process (see docs/demo.md). Backfills the simulated
 * university's history through ingest and speed, runs the batch over the complete days, serves the API and
 * dashboard, then keeps live traffic flowing until Ctrl-C.
 */
import { parseDemoArgs, usage } from './args.ts';
import { EmbeddedDemo } from './pipeline.ts';
import { summaryText } from './summary.ts';

let args: ReturnType<typeof parseDemoArgs>;
try {
  args = parseDemoArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const demo = new EmbeddedDemo(args);
let interrupted = false;
let interruptedAt = 0;
const stop = async (code: number) => {
  await demo.stop();
  const c = demo.counts();
  process.stderr.write(
    `stopped: ${c.ingest.delivered.toLocaleString('en-US')} events acknowledged by ingest, ` +
      `${c.ingest.deadLettered} dead-lettered; data kept in ${demo.dataDir}\n`,
  );
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      // Ctrl-C reaches this process twice (the terminal's process group and tsx relaying it): only a
      // second Ctrl-C a moment later means "exit now".
      if (Date.now() - interruptedAt < 1000) return;
      process.stderr.write('second interrupt: exiting now\n');
      process.exit(130);
    }
    interrupted = true;
    interruptedAt = Date.now();
    process.stderr.write(`\n${signal}: stopping (live traffic off, flushing ingest and speed)…\n`);
    void stop(0);
  });
}

try {
  await demo.start();
  if (!interrupted) await demo.backfillHistory();
  if (!interrupted) await demo.batchHistory();
} catch (error) {
  // Interrupted mid-stage: the signal handler's ordered stop ends the process.
  if (interrupted) await new Promise(() => {});
  process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
  await demo.stop().catch(() => {});
  process.exit(1);
}
if (!interrupted) {
  demo.print(summaryText(demo.summary(), args));
  demo.startDailyTrigger();
  if (args.live) demo.startLive(args.rate, args.liveSeconds);
  if (args.exit) {
    await demo.waitLive();
    if (!interrupted) await stop(0);
  }
}
