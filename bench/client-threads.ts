import { Worker } from 'node:worker_threads';
import type { ClientThreadSetup, RoundRequest, ThreadMessage } from './w4-client-thread.ts';

/**
 * W4's clients on threads of their own. Sixty-four devices do not share one CPU thread: run on
 * the benchmark's one thread, the SDK's work per request capped the sync's throughput at what
 * that thread could do, while the baseline's lighter client let the server and the database use
 * both cores. On as many threads as the machine has cores, both sides' clients compete for the
 * machine with the server and the database, as the W4 analysis assumes.
 */

/** A started client thread: rounds on request, and closing. */
export interface ClientThread {
  round(request: RoundRequest): Promise<number[]>;
  close(): Promise<void>;
}

const entry = new URL('./w4-client-thread.ts', import.meta.url).href;
// A worker's entry module is loaded before `--import tsx` could apply to it: register tsx first.
// Both resolved here, so that the thread finds them whatever the working directory.
const tsxApi = import.meta.resolve('tsx/esm/api');
const boot = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;

/** Starts a client thread and waits until its databases are open. */
export async function startClientThread(setup: ClientThreadSetup): Promise<ClientThread> {
  const worker = new Worker(boot, { eval: true, workerData: setup });
  const replies: ((message: ThreadMessage) => void)[] = [];
  const failed = new Promise<never>((_, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`W4 client thread exited (code ${code})`)));
  });
  failed.catch(() => undefined);
  worker.on('message', (message: ThreadMessage) => replies.shift()?.(message));
  const next = () => Promise.race([new Promise<ThreadMessage>((resolve) => replies.push(resolve)), failed]);
  await next();
  return {
    async round(request) {
      const reply = next();
      worker.postMessage(request);
      const message = await reply;
      if (!('latencies' in message)) throw new Error('W4 client thread: unexpected reply');
      return message.latencies;
    },
    async close() {
      const reply = next();
      worker.postMessage({ close: true });
      await reply;
      await worker.terminate();
    },
  };
}
