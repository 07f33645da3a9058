/**
 * Every paper testbed and every method the engine can run. A testbed is one folder with an
 * index.ts exporting its ProtocolModule (types.ts lists the files each folder has); adding one is
 * one line in PROTOCOL_MODULES.
 */
import {
  DEFAULT_PROTOCOL,
  type MethodDescriptor,
  type ProtocolDescriptor,
  type ProtocolId,
} from '../../contract/api';
import { cp2recProtocol } from './cp2rec/index';
import { damcarProtocol } from './damcar/index';
import { keepProtocol } from './keep/index';
import { rraProtocol } from './rra/index';
import type { ProtocolModule } from './types';
import { ukdslProtocol } from './ukdsl/index';

/** The testbeds, in the order the papers are listed (README). */
const PROTOCOL_MODULES: readonly ProtocolModule[] = [
  damcarProtocol,
  rraProtocol,
  keepProtocol,
  ukdslProtocol,
  cp2recProtocol,
];

/** Testbeds added at run time by registerProtocol, with the URL of the module that adds each. */
const registered: { module: ProtocolModule; moduleUrl: string }[] = [];

export { DEFAULT_PROTOCOL };

function protocolModules(): readonly ProtocolModule[] {
  return registered.length === 0
    ? PROTOCOL_MODULES
    : [...PROTOCOL_MODULES, ...registered.map((r) => r.module)];
}

/**
 * Adds a testbed after the built-in ones, e.g. a test's fake testbed. Throws when its id, or one of
 * its methods' ids, is taken: specs and stored runs name methods by id alone.
 *
 * Jobs run in worker threads (app/jobs.ts), and each worker loads its own copy of this registry, so
 * a module registered here would be unknown there. `moduleUrl` is therefore the URL of a module
 * whose import registers the testbed (its own `import.meta.url` when it registers itself on
 * import): the job pool hands registeredModuleUrls() to each worker, which imports them before it
 * runs the job. Only code already running in this process can call this, so it opens no new way to
 * load code from outside.
 */
export function registerProtocol(module: ProtocolModule, moduleUrl: string): void {
  const { id } = module.descriptor;
  if (getProtocolModule(id)) throw new Error(`a testbed with the id "${id}" is already registered`);
  const taken = new Set(listAllMethods().map((m) => m.id));
  for (const method of module.methods) {
    if (taken.has(method.id)) throw new Error(`${id}: the method id "${method.id}" is already taken`);
    if (method.protocol !== id)
      throw new Error(`${id}: the method "${method.id}" says it runs in "${method.protocol}"`);
    taken.add(method.id);
  }
  registered.push({ module, moduleUrl });
}

/** The modules that registered testbeds at run time (see registerProtocol), for worker threads. */
export function registeredModuleUrls(): string[] {
  return registered.map((r) => r.moduleUrl);
}

export function protocolIds(): ProtocolId[] {
  return protocolModules().map((p) => p.descriptor.id);
}

export function listProtocols(): ProtocolDescriptor[] {
  return protocolModules().map((p) => p.descriptor);
}

export function getProtocolDescriptor(id: string): ProtocolDescriptor | undefined {
  return getProtocolModule(id)?.descriptor;
}

export function getProtocolModule(id: string): ProtocolModule | undefined {
  return protocolModules().find((p) => p.descriptor.id === id);
}

/** Every method of every protocol, each protocol's in its table order. */
export function listAllMethods(): MethodDescriptor[] {
  return protocolModules().flatMap((p) => p.methods);
}

export function findMethodDescriptor(id: string): MethodDescriptor | undefined {
  return listAllMethods().find((m) => m.id === id);
}
