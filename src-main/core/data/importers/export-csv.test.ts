import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSimulatorParams, simulateCascade } from '../simulator';
import { EXPORT_CSV_MAPPING, exportInteractionsCsv } from './export-csv';
import { importGenericLog } from './generic';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exportInteractionsCsv', () => {
  it('round-trips a simulated dataset through the generic importer, up to id remapping', async () => {
    const simulated = simulateCascade(
      resolveSimulatorParams({
        users: 60,
        items: 90,
        categories: 4,
        latentDim: 4,
        multimodalDim: 4,
        exposuresPerUser: 12,
        candidatesPerRequest: 30,
        exposedPerRequest: 4,
        seed: 11,
      }),
    );
    const path = join(dir, 'simulated.csv');
    await exportInteractionsCsv(simulated, path);
    const header = (await readFile(path, 'utf8')).split('\n')[0];
    expect(header).toBe('user,item,label,time,watch_time,category');

    const imported = await importGenericLog(path, { mapping: EXPORT_CSV_MAPPING });
    const original = simulated.interactions;
    const n = original.user.length;
    expect(imported.user.length).toBe(n);
    expect(imported.report.rowsDropped).toEqual({});
    expect(imported.report.missingValues).toEqual({});
    // Both logs are in time order and the importer's sort is stable, so rows line up one to one.
    let mismatches = 0;
    for (let r = 0; r < n; r++) {
      if (
        imported.userRawIds[imported.user[r]] !== original.user[r] ||
        imported.itemRawIds[imported.item[r]] !== original.item[r] ||
        imported.label[r] !== original.label[r] ||
        imported.time[r] !== original.time[r] ||
        imported.watchTime[r] !== original.watchTime[r]
      ) {
        mismatches++;
      }
    }
    expect(mismatches).toBe(0);
    // The remapping is a bijection onto the users and items that appear in the log.
    expect(new Set(imported.userRawIds).size).toBe(imported.numUsers);
    expect(imported.numUsers).toBe(new Set(original.user).size);
    expect(imported.numItems).toBe(new Set(original.item).size);
    // The item category survives as an item feature: equal categories, equal codes.
    const category = imported.itemFeatures.find((f) => f.name === 'category');
    expect(category).toBeDefined();
    const codeOf = new Map<number, number>();
    for (let i = 0; i < imported.numItems; i++) {
      const raw = simulated.itemCategory[imported.itemRawIds[i] as number];
      const code = category?.codes[i] ?? -1;
      expect(codeOf.get(raw) ?? code).toBe(code);
      codeOf.set(raw, code);
    }
    // Positives and watch time in total, as a second, order-free check.
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
    expect(sum(imported.label)).toBe(sum(original.label));
    expect(sum(imported.watchTime)).toBeCloseTo(sum(original.watchTime), 3);
  });
});
