/**
 * A private `redis-server` for the queue's tests and `cascade-lab bench-queue`, on a random free
 * loopback port in a fresh temp folder, optionally with a password, TLS (a CA and a server
 * certificate made with `openssl`) and append-only persistence. The fault tests need the real
 * server (BullMQ's Lua scripts, stalled-job checks, a restart that reloads its AOF), which no
 * in-process fake reproduces. Without `redis-server` on PATH it throws: the tests fail, never skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

export interface RedisServerOptions {
  /** `--requirepass`; the URL carries it as `redis://:PASSWORD@...`. */
  password?: string;
  /** Serve TLS only (`rediss://`), with a certificate for 127.0.0.1 signed by `caFile`. */
  tls?: boolean;
  /** `--appendonly yes` with fsync on every write, so that restart() and kill() lose nothing. */
  appendonly?: boolean;
}

export interface RedisServerHandle {
  /** `redis://[:PASSWORD@]127.0.0.1:PORT`, or `rediss://...` with TLS. */
  url: string;
  port: number;
  /** The server's working folder (its AOF, the TLS files). */
  dir: string;
  /** The CA's PEM, for parseRedisUrl's `caFile` (TLS only). */
  caFile?: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /**
   * Shuts the server down (SIGTERM, which flushes the AOF) and removes its folder; with
   * `keepDir`, the folder stays for a later restart(). Safe to call twice or after kill().
   */
  stop(options?: { keepDir?: boolean }): Promise<void>;
  /** SIGKILL, as a crash: nothing is flushed on the way out; the folder stays for restart(). */
  kill(): Promise<void>;
  /** Stops the server if it runs, then starts it again on the same port and folder. */
  restart(): Promise<void>;
}

const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 10_000;

/**
 * A shell beside each server that cleans up when this process dies without stopping it: vitest
 * ends its test processes with a signal, so no `exit` handler would run. When this process dies,
 * its end of the pipe closes, `read` sees the end of input, and the shell kills the last server
 * pid it was told (`-` when none runs) and removes the folder. stop() ends it with SIGKILL once
 * the server is down and the folder gone.
 */
const WATCHDOG =
  'pid=-; while read -r line; do pid=$line; done; [ "$pid" = - ] || kill -9 "$pid"; rm -rf "$1"';

function spawnWatchdog(dir: string): ChildProcess {
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'redis-watchdog', dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Once stop() has killed it, nothing more is written; a late write must not crash the tests.
  watchdog.stdin?.on('error', () => undefined);
  return watchdog;
}

/** Starts a redis-server; see RedisServerOptions. Retries on another port if the chosen one is taken. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = findOnPath('redis-server');
  if (binary === undefined) {
    throw new Error('redis-server not found: install it (Debian: apt install redis-server)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'cascade-redis-'));
  const watchdog = spawnWatchdog(dir);
  try {
    const caFile = options.tls ? await writeTlsFiles(dir) : undefined;
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const args = serverArgs(port, dir, options);
      try {
        const child = await launch(binary, args, watchdog);
        return handle({ binary, args, watchdog, port, dir, caFile, options }, child);
      } catch (error) {
        // Another process may take the port between freeLoopbackPort and redis-server's bind.
        if (attempt < 3 && /Address already in use/.test(String(error))) continue;
        throw error;
      }
    }
  } catch (error) {
    watchdog.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

interface ServerSetup {
  binary: string;
  args: string[];
  watchdog: ChildProcess;
  port: number;
  dir: string;
  caFile: string | undefined;
  options: RedisServerOptions;
}

function serverArgs(port: number, dir: string, options: RedisServerOptions): string[] {
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
  args.push(...(options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]));
  if (options.tls) {
    args.push('--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'));
    args.push('--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no');
  }
  if (options.password !== undefined) args.push('--requirepass', options.password);
  args.push('--save', '');
  if (options.appendonly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  return args;
}

function handle(setup: ServerSetup, first: ChildProcess): RedisServerHandle {
  const { binary, args, watchdog, port, dir, caFile, options } = setup;
  let child: ChildProcess | undefined = first;
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (running === undefined) return;
    await terminate(running, signal);
    watchdog.stdin?.write('-\n');
  };
  return {
    url: `${options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    port,
    dir,
    caFile,
    get running() {
      return child !== undefined;
    },
    async stop(stopOptions = {}) {
      await end('SIGTERM');
      if (stopOptions.keepDir) return;
      rmSync(dir, { recursive: true, force: true });
      watchdog.kill('SIGKILL');
    },
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGTERM');
      child = await launch(binary, args, watchdog);
    },
  };
}

/** Spawns redis-server and resolves once it accepts connections (after loading its AOF). */
function launch(binary: string, args: string[], watchdog: ChildProcess): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) watchdog.stdin?.write(`${child.pid}\n`);
    let output = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      watchdog.stdin?.write('-\n');
      reject(new Error(`redis-server ${why}:\n${output.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (READY.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        // Keep draining its log so that a full pipe never blocks the server.
        child.stdout?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) => fail(`exited (${code}) before it was ready`);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('exit', onExit);
    child.once('error', (error) => fail(`could not be started (${error.message})`));
  });
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function findOnPath(command: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const run = promisify(execFile);

/** The CA and server certificate, made once per test process (openssl takes ~0.2 s) and kept in memory. */
let tlsFiles: Promise<Map<string, Buffer>> | undefined;
const TLS_FILES = ['ca.crt', 'server.crt', 'server.key'];

async function writeTlsFiles(dir: string): Promise<string> {
  tlsFiles ??= makeTlsFiles();
  for (const [name, bytes] of await tlsFiles) writeFileSync(join(dir, name), bytes, { mode: 0o600 });
  return join(dir, 'ca.crt');
}

async function makeTlsFiles(): Promise<Map<string, Buffer>> {
  if (findOnPath('openssl') === undefined) {
    throw new Error('openssl not found: the TLS Redis fixture makes its certificates with it');
  }
  const dir = mkdtempSync(join(tmpdir(), 'cascade-redis-tls-'));
  try {
    const file = (name: string) => join(dir, name);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run(
      'openssl',
      ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt')].concat([
        '-days',
        '2',
        '-subj',
        '/CN=cascade-lab test CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ]),
    );
    await run(
      'openssl',
      ['req', '-new', ...ec, '-keyout', file('server.key'), '-out', file('server.csr')].concat([
        '-subj',
        '/CN=localhost',
      ]),
    );
    writeFileSync(
      file('server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    await run(
      'openssl',
      ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt')].concat(
        ['-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2'],
        ['-extfile', file('server.ext')],
      ),
    );
    return new Map(TLS_FILES.map((name) => [name, readFileSync(file(name))]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
