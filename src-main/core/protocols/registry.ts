/**
 * Every paper testbed and every method the engine can run, across protocols. DAMCAR's methods
 * (core/methods) run in the built-in 'damcar' cascade; the others come with their protocol module.
 */
import type { MethodDescriptor, ProtocolDescriptor, ProtocolId } from '../../contract/api';
import { listMethods } from './damcar/methods';
import { cp2recProtocol } from './cp2rec/index';
import { DAMCAR_PROTOCOL } from './damcar/settings';
import { keepProtocol } from './keep/index';
import { rraProtocol } from './rra/index';
import type { ProtocolModule } from './types';
import { ukdslProtocol } from './ukdsl/index';

/** The protocols with their own module, in the order the papers are listed (README). */
const PROTOCOL_MODULES: readonly ProtocolModule[] = [
  rraProtocol,
  keepProtocol,
  ukdslProtocol,
  cp2recProtocol,
];

export const PROTOCOL_IDS: readonly ProtocolId[] = [
  'damcar',
  ...PROTOCOL_MODULES.map((p) => p.descriptor.id),
];

export const DEFAULT_PROTOCOL: ProtocolId = 'damcar';

export function listProtocols(): ProtocolDescriptor[] {
  return [DAMCAR_PROTOCOL, ...PROTOCOL_MODULES.map((p) => p.descriptor)];
}

export function getProtocolDescriptor(id: string): ProtocolDescriptor | undefined {
  return listProtocols().find((p) => p.id === id);
}

/** The module of a protocol other than 'damcar' (whose jobs experiments/run-job.ts runs itself). */
export function getProtocolModule(id: string): ProtocolModule | undefined {
  return PROTOCOL_MODULES.find((p) => p.descriptor.id === id);
}

/** Every method of every protocol: DAMCAR's first, then each protocol's in its table order. */
export function listAllMethods(): MethodDescriptor[] {
  return [...listMethods(), ...PROTOCOL_MODULES.flatMap((p) => p.methods)];
}

export function findMethodDescriptor(id: string): MethodDescriptor | undefined {
  return listAllMethods().find((m) => m.id === id);
}
