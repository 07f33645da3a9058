import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis } from './redis-url';
import { startRedisServer, type RedisServerHandle } from './local-redis';

const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) await server.stop();
});

async function start(options: Parameters<typeof startRedisServer>[0] = {}): Promise<RedisServerHandle> {
  const server = await startRedisServer(options);
  servers.push(server);
  return server;
}

function connect(server: RedisServerHandle): Redis {
  // No retries: a test that cannot reach its server fails at once instead of waiting.
  const client = connectRedis(server.url, { caFile: server.caFile, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Whether a process with this id is alive (and not a zombie). */
function alive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)])
      .toString()
      .startsWith('Z');
  } catch {
    return false;
  }
}

/** The redis-server listening on the server's port, from its INFO. */
async function serverPid(server: RedisServerHandle): Promise<number> {
  const info = await connect(server).info('server');
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

describe('startRedisServer', () => {
  it('serves a plain server on a loopback port', async () => {
    const server = await start();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const client = connect(server);
    expect(await client.ping()).toBe('PONG');
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');
  });

  it('serves a password-protected server, refusing a client without the password', async () => {
    const server = await start({ password: 'p@ss word' });
    expect(server.url).toBe(`redis://:p%40ss%20word@127.0.0.1:${server.port}`);
    const client = connect(server);
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    const anonymous = connectRedis(`redis://127.0.0.1:${server.port}`, { maxRetriesPerRequest: 0 });
    anonymous.on('error', () => undefined);
    clients.push(anonymous);
    await expect(anonymous.get('k')).rejects.toThrow(/NOAUTH/);
  });

  it('serves TLS only, with a certificate its CA file verifies', async () => {
    const server = await start({ tls: true, password: 'pw' });
    expect(server.url).toBe(`rediss://:pw@127.0.0.1:${server.port}`);
    expect(server.caFile && existsSync(server.caFile)).toBe(true);
    const client = connect(server);
    expect(await client.ping()).toBe('PONG');
    await client.set('k', 'over tls');
    expect(await client.get('k')).toBe('over tls');
    // Without the CA the certificate is not trusted; in plain text the server does not answer.
    const untrusted = connectRedis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const refused = new Promise<Error>((resolve) => untrusted.once('error', resolve));
    clients.push(untrusted);
    await expect(untrusted.ping()).rejects.toThrow();
    expect((await refused).message).toMatch(/certificate/);
    const plain = connectRedis(server.url.replace('rediss', 'redis'), {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 200,
    });
    plain.on('error', () => undefined);
    clients.push(plain);
    await expect(plain.ping()).rejects.toThrow();
  });

  it('keeps a key across a restart with appendonly, on the same port and folder', async () => {
    const server = await start({ appendonly: true });
    const client = connect(server);
    await client.set('queued', 'run 1');
    const before = await serverPid(server);
    await server.restart();
    expect(server.running).toBe(true);
    expect(await serverPid(server)).not.toBe(before);
    expect(await connect(server).get('queued')).toBe('run 1');
    // A crash loses nothing either: every write is fsynced.
    await connect(server).set('after crash', 'kept');
    await server.kill();
    await server.restart();
    expect(await connect(server).get('after crash')).toBe('kept');
  });

  it('kill() leaves no process, and stop() removes the folder', async () => {
    const server = await start();
    const pid = await serverPid(server);
    expect(alive(pid)).toBe(true);
    await server.kill();
    expect(server.running).toBe(false);
    expect(alive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(true);
    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
  });

  it('leaves no server and no folder behind when the test process itself is killed', async () => {
    // A test process that starts a server, reports it, and is then killed as vitest ends its forks.
    const script = `import('./local-redis.ts').then(async ({ startRedisServer }) => {
      const server = await startRedisServer({ appendonly: true });
      console.log(JSON.stringify({ port: server.port, dir: server.dir }));
    });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: import.meta.dirname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if (output.includes('\n')) resolve(output);
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before its server started`)));
    });
    const { port, dir } = JSON.parse(line) as { port: number; dir: string };
    expect(await accepts(port)).toBe(true);
    child.kill('SIGKILL');
    for (let wait = 0; wait < 50 && ((await accepts(port)) || existsSync(dir)); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await accepts(port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

/** Whether something accepts TCP connections on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
