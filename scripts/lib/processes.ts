import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Child processes of the start command: each runs `node --import tsx <file>` in its own
 * process group (so a stop reaches tsx and the node process it runs), with every output line
 * prefixed by the child's name.
 */

/** A running child. */
export interface ManagedChild {
  name: string;
  process: ChildProcess;
  /** Resolves when the process has exited, with its code (or null) and signal (or null). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Writes each complete line of a stream with a prefix; flushes the remainder at the end. */
function pipeLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (rest) out.write(`${prefix}${rest}\n`);
  });
}

/**
 * Starts `node --import tsx <file>` (path relative to the repository root; tsx from the project's
 * node_modules) with `env`, in a new process group. Same as `node_modules/.bin/tsx <file>` without
 * the tsx CLI's wrapper process, which relays signals and SIGKILLs the program when it does not
 * acknowledge one within 60 ms: that would cut a graceful shutdown short on a busy machine.
 * @param width the prefix column width, so that names line up
 */
export function startTsxChild(name: string, file: string, env: NodeJS.ProcessEnv, width = name.length): ManagedChild {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid) killWithParent(child.pid, { group: true });
  const prefix = `[${name}]`.padEnd(width + 3);
  pipeLines(child.stdout!, prefix, process.stdout);
  pipeLines(child.stderr!, prefix, process.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      process.stderr.write(`${prefix}could not start: ${err.message}\n`);
      resolve({ code: 127, signal: null });
    });
  });
  return { name, process: child, exited };
}

function alive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

/** Sends a signal to the child's whole process group (falls back to the child alone). */
export function signalGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (!c.pid || !alive(c)) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    try {
      c.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM to the child's group, SIGKILL after `graceMs` (default 10 s); resolves once it exited. */
export async function stopManagedChild(c: ManagedChild, graceMs = 10_000): Promise<void> {
  if (!alive(c.process)) return;
  signalGroup(c.process, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(c.process, 'SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(timer);
}

/**
 * Polls `url` until it answers with a 2xx status.
 * @param timeoutMs overall limit (default 120 s)
 * @param child when given, fails as soon as this child exits
 * @throws Error on timeout or when the child exited first
 */
export async function waitForHttp(url: string, timeoutMs = 120_000, child?: ManagedChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (child && !alive(child.process)) {
      throw new Error(`${child.name} exited (code ${child.process.exitCode ?? child.process.signalCode}) before ${url} answered`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (last: ${last})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Guards against orphans: if this process dies without stopping `targetPid` (a crash, SIGKILL,
 * a segfault in a native module), a tiny detached `sh` loop notices within a second and sends it
 * `signal` (default TERM), then SIGKILL after `killAfterMs` (default 5000; null = never). The loop
 * ends by itself when the target exits first.
 * @param opts.group signal the target's whole process group (it must lead one: spawned `detached`)
 */
export function killWithParent(
  targetPid: number,
  opts: { group?: boolean; signal?: 'TERM' | 'INT'; killAfterMs?: number | null } = {},
): void {
  const target = opts.group ? `-${targetPid}` : String(targetPid);
  const signal = opts.signal ?? 'TERM';
  const killAfter = opts.killAfterMs === undefined ? 5000 : opts.killAfterMs;
  // dash's kill takes "-TERM -123" for a group but not "--".
  // Acts only when the parent is gone and the target still runs.
  const then = killAfter === null ? '' : ` sleep ${Math.ceil(killAfter / 1000)}; kill -0 "$2" 2>/dev/null && kill -KILL "$3" 2>/dev/null;`;
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    `if kill -0 "$2" 2>/dev/null && ! kill -0 "$1" 2>/dev/null; then kill -${signal} "$3" 2>/dev/null;${then} fi; exit 0`;
  try {
    const w = spawn('sh', ['-c', script, 'tasjil-watchdog', String(process.pid), String(targetPid), target], {
      detached: true,
      stdio: 'ignore',
    });
    w.on('error', () => undefined);
    w.unref();
  } catch {
    /* no sh: the process 'exit' handlers still cover ordinary exits */
  }
}

/** What `watchChild` knows of a long-running child: why it ended, if it did, and whether it started. */
export interface WatchedChild {
  /** `code N` or `signal S` once the child has exited, else null. */
  exited(): string | null;
  /** The error of a child that could not be spawned, else null. */
  spawnError(): Error | null;
  /** Forget the exit-time kill (the child was stopped on purpose). */
  release(): void;
}

/**
 * Watches a server this process started (the Temporal dev server or the Temporal server): records
 * how it ended, kills it when this process exits, and when this process crashes (`killWithParent`).
 */
export function watchChild(child: ChildProcess): WatchedChild {
  let exitInfo: string | null = null;
  let spawnError: Error | null = null;
  child.on('exit', (code, signal) => {
    exitInfo = signal ? `signal ${signal}` : `code ${code}`;
  });
  child.on('error', (err) => {
    spawnError = err;
  });
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  if (child.pid) killWithParent(child.pid);
  return {
    exited: () => exitInfo,
    spawnError: () => spawnError,
    release: () => {
      process.removeListener('exit', killOnExit);
    },
  };
}
