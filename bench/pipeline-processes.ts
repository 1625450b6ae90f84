/** The processes of the pipeline benchmark: the mirror child (with a small IPC client) and BullMQ workers. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { redisConnection } from '../server/pipeline/bullmq-connection';
import type { PipelineReply, PipelineRequest, ServeReady } from './pipeline-serve';

type Command = PipelineRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The mirror child and a way to ask it things. */
export interface MirrorProcess {
  readonly url: string;
  readonly kind: string;
  ask<T>(command: Command): Promise<T>;
  stop(): Promise<void>;
}

/** Waits for `child` to exit, killing it after `graceMs`. */
async function ended(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Forks bench/pipeline-serve with `env` on top of the benchmark's settings, resolving once it listens. */
export function startMirrorProcess(
  upstreamUrl: string,
  dataDir: string,
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<MirrorProcess> {
  const child = fork(join(__dirname, 'pipeline-serve.js'), [upstreamUrl, dataDir, JSON.stringify(env)], {
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  child.on('message', (message: PipelineReply | ServeReady) => {
    if (!('id' in message)) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) waiter?.resolve(message.value);
    else waiter?.reject(new Error(`the mirror child failed: ${message.error}`));
  });
  child.on('exit', (code) => {
    for (const w of pending.values()) w.reject(new Error(`the mirror child exited with code ${code}`));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    const early = (code: number | null): void => reject(new Error(`the mirror child exited with code ${code} before it listened`));
    child.once('exit', early);
    child.once('message', (ready: ServeReady) => {
      child.off('exit', early);
      resolve({
        url: ready.url,
        kind: ready.kind,
        ask<T>(command: Command): Promise<T> {
          const id = ++next;
          return new Promise<T>((res, rej) => {
            pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
            child.send({ ...command, id });
          });
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const done = ended(child, 15_000);
          if (child.connected) child.send({ id: ++next, cmd: 'stop' });
          await done;
        },
      });
    });
  });
}

/** One `node dist/server/pipeline/worker-main.js` process. */
export interface WorkerProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

const WORKER_MAIN = join(__dirname, '..', 'server', 'pipeline', 'worker-main.js');

/** Starts a BullMQ worker the way `npm run worker` does, resolving once it reports it is processing the queue. */
export function startWorkerProcess(
  env: { REDIS_URL: string; CORDON_QUEUE: string; CORDON_ANALYSIS_CONCURRENCY: string },
  cwd: string,
  execArgv: string[] = [],
): Promise<WorkerProcess> {
  // Only what the worker needs: no CORDON_* from the caller's shell leaks into the measurement.
  const child = spawn(process.execPath, [...execArgv, WORKER_MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const worker: WorkerProcess = {
    pid: child.pid!,
    async stop() {
      const done = ended(child, 10_000);
      child.kill('SIGTERM');
      await done;
    },
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const early = (code: number | null): void =>
      reject(new Error(`the BullMQ worker exited with code ${code} before it was ready: ${stderr.trim()}`));
    child.once('exit', early);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (!out.includes('cordon worker: processing queue')) return;
      child.stdout!.off('data', onData);
      child.off('exit', early);
      // It logs a line per job; keep reading so a full pipe never stalls it.
      child.stdout!.resume();
      resolve(worker);
    };
    child.stdout!.on('data', onData);
  });
}

/** Removes a benchmark queue and everything in it from Redis. */
export async function obliterateQueue(redisUrl: string, name: string): Promise<void> {
  const connection = redisConnection(redisUrl);
  const queue = new Queue(name, { connection });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}
