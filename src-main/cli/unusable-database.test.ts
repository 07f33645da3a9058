/**
 * A database file the CLI must not use, through the CLI's entry function in this process: one line
 * that names the file and what to do, exit code 1, and the file byte for byte as it was.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openStore } from '../store/index';
import { captureIo } from './capture-io';
import { main } from './main';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-cli-db-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A Cascade Lab database whose data pages (all but the schema page) are overwritten. */
function damagedDatabase(path: string): void {
  const store = openStore(path);
  const experiment = store.experiments.create({
    name: 'x'.repeat(100),
    dataset: { kind: 'simulated', params: {} },
    retrieval: { model: 'dssm' },
    methods: [{ id: 'bc' }],
    training: { epochs: 1, batchSize: 8, learningRate: 0.01, embeddingDim: 4 },
    evaluation: { retrievalK: [10], corpus: 'all' },
    seeds: [1],
    backend: 'auto',
  });
  expect(experiment.id).toBe(1);
  store.close();
  const bytes = readFileSync(path);
  const pageSize = bytes.readUInt16BE(16);
  bytes.fill(0x41, pageSize);
  writeFileSync(path, bytes);
}

const CASES: { name: string; make: (path: string) => void; says: RegExp }[] = [
  {
    name: 'a text file',
    make: (path) => writeFileSync(path, 'id,name\n1,not a database\n'),
    says: /is not a Cascade Lab database: SQLite cannot read it \(file is not a database\)/,
  },
  {
    name: 'random bytes',
    make: (path) => writeFileSync(path, randomBytes(16384)),
    says: /is not a Cascade Lab database: SQLite cannot read it/,
  },
  {
    name: "another application's SQLite file",
    make: (path) => {
      const other = new Database(path);
      other.exec(
        'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (1)',
      );
      other.close();
    },
    says: /is not a Cascade Lab database: it is a SQLite database of another application \(tables notes\)/,
  },
  {
    name: "another application's SQLite file with no tables",
    make: (path) => {
      const other = new Database(path);
      other.pragma('application_id = 1234');
      other.close();
    },
    says: /another application \(application id 0x000004d2\)/,
  },
  {
    name: 'a newer Cascade Lab database',
    make: (path) => {
      const store = openStore(path);
      store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      store.close();
    },
    says: new RegExp(
      `was written by a newer Cascade Lab \\(schema version ${SCHEMA_VERSION + 1}; this one understands up to ` +
        `${SCHEMA_VERSION}\\)\\. Nothing was changed\\. Update Cascade Lab`,
    ),
  },
  {
    name: 'a damaged Cascade Lab database',
    make: damagedDatabase,
    says: /is damaged \(database disk image is malformed\)\. Nothing was changed\. Restore it from a backup/,
  },
];

describe('cascade-lab with a database it cannot use', () => {
  it.each(CASES)(
    'prints one line for $name, exits 1 and leaves the file as it was',
    async ({ name, make, says }) => {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.db`);
      make(path);
      const before = readFileSync(path);
      const { io, out, err } = captureIo();
      expect(await main(['list', '--db', path], io)).toBe(1);
      expect(out()).toBe('');
      const lines = err().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^cascade-lab list: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `),
      );
      expect(lines[0]).toMatch(says);
      expect(readFileSync(path).equals(before)).toBe(true);
    },
  );

  it('says the same from `run`, before any run is stored', async () => {
    const path = join(dir, 'run.db');
    writeFileSync(path, 'not a database');
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({ name: 'n', dataset: { kind: 'simulated' }, methods: [{ id: 'bc' }] }),
    );
    const { io, err } = captureIo();
    expect(await main(['run', spec, '--db', path], io)).toBe(1);
    expect(err()).toBe(
      `cascade-lab run: ${path} is not a Cascade Lab database: SQLite cannot read it (file is not a database). ` +
        'Nothing was changed. Move it aside to start a fresh database there, or point Cascade Lab at another ' +
        'database file.\n',
    );
    expect(readFileSync(path, 'utf8')).toBe('not a database');
  });
});
