/**
 * The learners of one `npm run bench:classroom` room, in a worker thread of their own: their
 * browsers are not on the server, so their sockets, key timers and parsing must not take turns
 * with the runner on its event loop (in the runner's thread, 30 learners typing 5 ms apart made
 * the runner's own work wait behind theirs). They still share the host's cores, as a room of
 * browsers on the same host would. Times that cross threads are epoch ms (Date.now()).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runLearner, type LearnerPlan, type LearnerResult } from './classroom-learner.ts';

interface RoomData {
  plans: LearnerPlan[];
  joinWindowMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the room's learners in a worker, each joining at its place in the join window; rejects after `timeoutMs` (the worker is stopped). */
export function runRoom(plans: LearnerPlan[], joinWindowMs: number, timeoutMs: number): Promise<LearnerResult[]> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { plans, joinWindowMs } satisfies RoomData });
  return new Promise<LearnerResult[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`step over ${timeoutMs / 1000} s`));
      void worker.terminate();
    }, timeoutMs);
    worker.once('message', (results: LearnerResult[]) => {
      clearTimeout(timer);
      resolve(results);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the learners' worker exited (${code}) before it reported`));
    });
  });
}

if (!isMainThread && parentPort) {
  const { plans, joinWindowMs } = workerData as RoomData;
  const results = await Promise.all(plans.map((p, i) => sleep((i * joinWindowMs) / plans.length).then(() => runLearner(p))));
  parentPort.postMessage(results);
}
