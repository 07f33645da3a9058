import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MethodDescriptor } from '../../contract/api';
import { DEFAULT_PROTOCOL } from '../../contract/api';
import { damcarProtocol } from './damcar/index';
import {
  findMethodDescriptor,
  getProtocolModule,
  listAllMethods,
  listProtocols,
  protocolIds,
  registerProtocol,
} from './registry';
import type { ProtocolModule } from './types';

/** The files every testbed folder has, by role (types.ts); `model` stands for model*.ts. */
const ROLES = ['index.ts', 'settings.ts', 'methods.ts', 'data.ts', 'model', 'train.ts', 'metrics.ts'];

describe('protocol registry', () => {
  it('gives every method of every testbed its own id', () => {
    const ids = listAllMethods().map((m) => m.id);
    const repeated = ids.filter((id, k) => ids.indexOf(id) !== k);
    expect(repeated).toEqual([]);
    expect(ids.length).toBeGreaterThan(20);
  });

  it("lists each testbed's methods in its descriptor, each naming that testbed", () => {
    for (const protocol of listProtocols()) {
      const module = getProtocolModule(protocol.id);
      expect(module?.methods.map((m) => m.id)).toEqual(protocol.methods);
      for (const method of module?.methods ?? []) expect(method.protocol, method.id).toBe(protocol.id);
      for (const id of protocol.methods) expect(findMethodDescriptor(id)?.protocol).toBe(protocol.id);
    }
    expect(protocolIds()[0]).toBe(DEFAULT_PROTOCOL);
    expect(getProtocolModule(DEFAULT_PROTOCOL)).toBe(damcarProtocol);
  });

  it('has one folder per testbed, each with the same files for the same roles', () => {
    const root = new URL('./', import.meta.url);
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.sort()).toEqual([...protocolIds()].sort());
    for (const folder of folders) {
      const files = readdirSync(new URL(`./${folder}/`, root));
      for (const role of ROLES) {
        const found =
          role === 'model'
            ? files.some((f) => /^model.*\.ts$/.test(f) && !f.endsWith('.test.ts'))
            : files.includes(role);
        expect(found, `${folder}/${role}`).toBe(true);
      }
    }
  });

  it('refuses a testbed whose id or method ids are taken, and changes nothing then', () => {
    const before = listProtocols().length;
    const method = (id: string, protocol: string): MethodDescriptor => ({
      id,
      name: id,
      paper: 'none',
      summary: 'A method that is never run.',
      equations: [],
      stage: 'retrieval',
      protocol,
      params: [],
    });
    const testbed = (id: string, methods: MethodDescriptor[]): ProtocolModule => ({
      ...damcarProtocol,
      descriptor: { ...damcarProtocol.descriptor, id, methods: methods.map((m) => m.id) },
      methods,
    });
    expect(() => registerProtocol(testbed('damcar', []), 'file:///nowhere.ts')).toThrow(
      /"damcar" is already registered/,
    );
    expect(() => registerProtocol(testbed('other', [method('bc', 'other')]), 'file:///nowhere.ts')).toThrow(
      /method id "bc" is already taken/,
    );
    expect(() =>
      registerProtocol(testbed('other', [method('x', 'other'), method('x', 'other')]), 'file:///nowhere.ts'),
    ).toThrow(/method id "x" is already taken/);
    expect(() => registerProtocol(testbed('other', [method('y', 'damcar')]), 'file:///nowhere.ts')).toThrow(
      /the method "y" says it runs in "damcar"/,
    );
    expect(listProtocols()).toHaveLength(before);
  });
});
