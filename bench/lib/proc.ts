/**
 * Child processes for the benchmarks: every server under test and the load generator run in their
 * own Node process (RELIABILITY.md: autocannon is CPU-bound JavaScript, and on two cores a server
 * that shares the load generator's event loop would be measured against itself). Each child runs
 * the same way as the parent: compiled JavaScript (`npm run bench` compiles `src` and `bench` once
 * with `tsconfig.bench.json`, so no process carries a TypeScript compiler in its RSS), or, when the
 * parent itself runs under ts-node, the TypeScript module through the same transpile-only hook.
 * Children talk over the IPC channel with numbered request/answer messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './paths';

/** What the parent sends: one command with its payload. */
export interface CommandMessage {
  id: number;
  command: string;
  payload: unknown;
}

/** What a child answers to one command. */
export type AnswerMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

function isAnswer(message: unknown): message is AnswerMessage {
  return typeof message === 'object' && message !== null && 'id' in message && 'ok' in message && typeof message.id === 'number';
}

function isCommand(message: unknown): message is CommandMessage {
  return typeof message === 'object' && message !== null && 'id' in message && 'command' in message && typeof message.command === 'string';
}

export interface Worker {
  readonly pid: number;
  call<T>(command: string, payload?: unknown, timeoutMs?: number): Promise<T>;
  /** Ends the child (SIGTERM, then SIGKILL after 2 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Node options for a worker from an environment variable (space-separated; for profilers: `--cpu-prof …`). */
export function nodeArgsFrom(variable: string): string[] {
  return (process.env[variable] ?? '').split(' ').filter(Boolean);
}

/** This process's CPU since it started, in µs (user + system, every thread). */
export function cpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

/** Running from TypeScript sources (ts-node) or from the compiled output. */
const FROM_SOURCE = __filename.endsWith('.ts');
const TS_HOOK = ['-r', 'ts-node/register/transpile-only'];

/**
 * Forks `bench/workers/<name>` (`.ts` or `.js`, like this module). Extra `execArgv` (for example `--expose-gc`) go before the hook.
 * stdout is discarded (the gateway logs one JSON line per request there, as in production, and the
 * cost of formatting it stays in the measurement); stderr is shown.
 */
export function startWorker(
  name: string,
  options: { execArgv?: readonly string[]; env?: NodeJS.ProcessEnv; /** Run the repository's TypeScript source even from the compiled copy. */ fromSource?: boolean } = {},
): Worker {
  const source = FROM_SOURCE || options.fromSource === true;
  const file = source ? join(REPO_ROOT, 'bench', 'workers', `${name}.ts`) : resolve(__dirname, '..', 'workers', `${name}.js`);
  const child: ChildProcess = fork(file, [], {
    cwd: REPO_ROOT,
    execArgv: [...(options.execArgv ?? []), ...(source ? TS_HOOK : [])],
    stdio: ['ignore', process.env.BENCH_WORKER_STDOUT ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let exited = false;
  const exitPromise = new Promise<void>((done) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const [, pending] of waiting) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`bench worker ${name} exited (${signal ?? code ?? '?'}) before answering`));
      }
      waiting.clear();
      done();
    });
  });
  child.on('message', (message: unknown) => {
    if (!isAnswer(message)) return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(`${name}: ${message.error}`));
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    call<T>(command: string, payload: unknown = null, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`bench worker ${name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`bench worker ${name}: ${command} took more than ${timeoutMs} ms`));
        }, timeoutMs);
        // The answer's type is the command's contract with the worker module; checked there.
        waiting.set(id, { resolve: (value) => resolvePromise(value as T), reject, timer });
        const message: CommandMessage = { id, command, payload };
        child.send(message);
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exitPromise;
      clearTimeout(force);
    },
  };
}

/** The child side: answers each command with its handler's result (or its error message). */
export function serveCommands(handlers: Record<string, (payload: unknown) => unknown>): void {
  const send = (message: AnswerMessage): void => {
    process.send?.(message);
  };
  process.on('message', (message: unknown) => {
    if (!isCommand(message)) return;
    const handler = handlers[message.command];
    if (!handler) {
      send({ id: message.id, ok: false, error: `unknown command ${message.command}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.payload))
      .then(
        (result) => send({ id: message.id, ok: true, result: result ?? null }),
        (error: unknown) => send({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  // The parent going away ends the worker: nothing must outlive a run.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
