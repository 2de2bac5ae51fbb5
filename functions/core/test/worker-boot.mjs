// Entry of a worker thread that runs a TypeScript module (workerData.entry): registers tsx's loader in
// this thread first, since a worker does not inherit the loader of the thread that started it.
// (The tools workspace has the same for its Kafka sink: scripts/tools/src/adapters/worker-boot.mjs.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
