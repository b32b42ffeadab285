import { spawn, type ChildProcess } from 'node:child_process';

/** Runs the server as `npm start` does, in a child process on a free port; for tests of the real process. */

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, resolved when the process exited. */
  stop(): Promise<void>;
}

/** Starts `server/src/main.ts` with PORT=0 and resolves with the GraphQL URL it prints. */
export async function spawnServer(env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /on (http:\/\/localhost:\d+\/graphql)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, child, stop };
}
