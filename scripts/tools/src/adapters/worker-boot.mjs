// Entry of a worker thread that runs a TypeScript module (workerData.entry): registers tsx's loader in
// this thread first, since a worker does not inherit the loader of the thread that started it.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
