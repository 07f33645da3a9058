import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl, REDIS_CA_ENV, RedisUrlError } from './redis-url';

const dir = mkdtempSync(join(tmpdir(), 'cascade-redis-url-'));
const caFile = join(dir, 'ca.crt');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env[REDIS_CA_ENV];
});

describe('parseRedisUrl', () => {
  it('reads a plain URL, filling the default port and database', () => {
    expect(parseRedisUrl('redis://queue.lab.example')).toEqual({
      host: 'queue.lab.example',
      port: 6379,
      db: 0,
    });
    expect(parseRedisUrl('redis://127.0.0.1:7000/')).toEqual({ host: '127.0.0.1', port: 7000, db: 0 });
    expect(parseRedisUrl('REDIS://[::1]:7000')).toEqual({ host: '::1', port: 7000, db: 0 });
  });

  it('reads a password for the default user, and a user with a password, percent-decoded', () => {
    expect(parseRedisUrl('redis://:s3cret@localhost:6380')).toEqual({
      host: 'localhost',
      port: 6380,
      password: 's3cret',
      db: 0,
    });
    expect(parseRedisUrl('redis://worker:p%40ss%2Fw0rd@localhost/0')).toEqual({
      host: 'localhost',
      port: 6379,
      username: 'worker',
      password: 'p@ss/w0rd',
      db: 0,
    });
  });

  it('reads the database number from the path', () => {
    expect(parseRedisUrl('redis://localhost:6379/3').db).toBe(3);
    expect(parseRedisUrl('redis://:pw@localhost/15').db).toBe(15);
  });

  it('turns rediss:// into TLS with the CA from the option, then from the environment, then the system', () => {
    const fromOption = parseRedisUrl('rediss://:pw@redis.lab.example:6380/1', { caFile });
    expect(fromOption).toMatchObject({ host: 'redis.lab.example', port: 6380, password: 'pw', db: 1 });
    expect(fromOption.tls?.servername).toBe('redis.lab.example');
    expect(fromOption.tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');

    process.env[REDIS_CA_ENV] = caFile;
    expect(parseRedisUrl('rediss://127.0.0.1:6380').tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    // SNI takes no addresses: Node checks the certificate's IP SAN against the host instead.
    expect(parseRedisUrl('rediss://127.0.0.1:6380').tls?.servername).toBeUndefined();
    // A plain URL ignores the environment's CA (it may be set for another queue).
    expect(parseRedisUrl('redis://127.0.0.1:6380').tls).toBeUndefined();

    delete process.env[REDIS_CA_ENV];
    expect(parseRedisUrl('rediss://redis.lab.example').tls).toEqual({ servername: 'redis.lab.example' });
  });

  it('names an unreadable CA file and where its name came from', () => {
    const missing = join(dir, 'missing.crt');
    expect(() => parseRedisUrl('rediss://h', { caFile: missing })).toThrow(
      `${missing}: cannot read the Redis CA (ENOENT)`,
    );
    process.env[REDIS_CA_ENV] = missing;
    expect(() => parseRedisUrl('rediss://h')).toThrow(`${missing} (from ${REDIS_CA_ENV}): cannot read`);
    expect(() => parseRedisUrl('redis://h', { caFile })).toThrow(/is for TLS: write rediss:\/\//);
  });

  it.each([
    ['http://localhost:6379', /the scheme must be redis:\/\/ or rediss:\/\/ \(TLS\), not http:\/\//],
    ['localhost:6379', /write it as redis:\/\/HOST/],
    ['redis://localhost:abc', /the port must be a number from 1 to 65535, not 'abc'/],
    ['redis://localhost:70000', /not '70000'/],
    ['redis://localhost:0', /not '0'/],
    ['redis://[::1]:-1/0', /not '-1'/],
    ['redis://localhost/x', /the path is the database number \(\/0, \/1, \.\.\.\), not '\/x'/],
    ['redis://localhost/1/2', /not '\/1\/2'/],
    ['redis://localhost:6379?db=2', /query parameters are not understood \(\?db=2\)/],
    ['redis://', /no host/],
    ['redis://worker@localhost', /a user without a password/],
  ])('refuses %s, saying which part is wrong', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never shows the password in its errors, even one that breaks the URL', () => {
    for (const url of [
      'redis://:hunter2@localhost:abc',
      'redis://:hun/ter2@localhost',
      'http://u:hunter2@h',
    ]) {
      expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
      try {
        parseRedisUrl(url);
      } catch (error) {
        expect((error as Error).message).not.toMatch(/hunter2|hun|ter2/);
        expect((error as Error).message).toContain(':***@');
      }
    }
  });
});

describe('redactRedisUrl', () => {
  it('replaces the password with *** and keeps the rest', () => {
    expect(redactRedisUrl('redis://:s3cret@localhost:6379/2')).toBe('redis://:***@localhost:6379/2');
    expect(redactRedisUrl('rediss://worker:s3cret@h:6380')).toBe('rediss://worker:***@h:6380');
    expect(redactRedisUrl('redis://worker:p@ss@h')).toBe('redis://worker:***@h');
  });

  it('leaves a URL without credentials as it is, and hides a lone user info whole', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('redis://s3cret@h')).toBe('redis://***@h');
    expect(redactRedisUrl('not a url')).toBe('not a url');
  });
});
