import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryWindow, MethodName, Ready, RpcRequest, RpcResponse, ServerMethods } from './server-protocol.ts';

/**
 * The parent's handle on a benchmark server process (`server-process.ts`): where its sync
 * server and baseline listen, SQL on its database, and its memory over a window. Setting
 * `BENCH_SERVER_PROFILE=<dir>` writes a `--cpu-prof` profile of every server process there.
 */

export interface BenchServer {
  kind: 'pglite' | 'postgres';
  syncUrl: string;
  baselineUrl: string;
  sql(...statements: string[]): Promise<Record<string, unknown>[]>;
  memoryStart(options?: { collectEveryMs?: number }): Promise<void>;
  memoryStop(): Promise<MemoryWindow>;
  close(): Promise<void>;
}

const entry = fileURLToPath(new URL('./server-process.ts', import.meta.url));
/** The server processes still running, for `killServers`. */
const running = new Set<ChildProcess>();

/** Starts a server process on a fresh database (PostgreSQL when `databaseUrl` is given). */
export async function startBenchServer(databaseUrl: string | undefined): Promise<BenchServer> {
  const profile = process.env.BENCH_SERVER_PROFILE;
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096', '--expose-gc', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
    env: { ...process.env, NODE_ENV: 'production', BENCH_DATABASE_URL: databaseUrl ?? '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited: Error | null = null;
  const ready = new Promise<Ready>((resolve, reject) => {
    child.on('message', (message: RpcResponse | Ready) => {
      if ('ready' in message) return resolve(message);
      const call = pending.get(message.id);
      pending.delete(message.id);
      if ('error' in message) call?.reject(new Error(`server process: ${message.error}`));
      else call?.resolve(message.result);
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      exited = new Error(`server process exited (code ${code}, signal ${signal})`);
      for (const call of pending.values()) call.reject(exited);
      pending.clear();
      reject(exited);
    });
  });
  const info = await ready;

  function call<M extends MethodName>(method: M, params: ServerMethods[M]['params']): Promise<ServerMethods[M]['result']> {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    const request: RpcRequest<M> = { id, method, params };
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send(request);
    });
  }

  return {
    kind: info.kind,
    syncUrl: info.syncUrl,
    baselineUrl: info.baselineUrl,
    sql: (...statements) => call('sql', { statements }),
    memoryStart: async (options = {}) => void (await call('memoryStart', options)),
    memoryStop: () => call('memoryStop', {}),
    close: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      await call('close', {}).catch(() => undefined);
      await gone;
    },
  };
}

/** Kills the server processes still running (the watchdog's last resort). */
export function killServers(): void {
  for (const child of running) child.kill('SIGKILL');
}
