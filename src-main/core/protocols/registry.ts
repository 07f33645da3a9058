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

export const PROTOCOL_IDS: readonly ProtocolId[] = PROTOCOL_MODULES.map((p) => p.descriptor.id);

export { DEFAULT_PROTOCOL };

export function listProtocols(): ProtocolDescriptor[] {
  return PROTOCOL_MODULES.map((p) => p.descriptor);
}

export function getProtocolDescriptor(id: string): ProtocolDescriptor | undefined {
  return getProtocolModule(id)?.descriptor;
}

export function getProtocolModule(id: string): ProtocolModule | undefined {
  return PROTOCOL_MODULES.find((p) => p.descriptor.id === id);
}

/** Every method of every protocol, each protocol's in its table order. */
export function listAllMethods(): MethodDescriptor[] {
  return PROTOCOL_MODULES.flatMap((p) => p.methods);
}

export function findMethodDescriptor(id: string): MethodDescriptor | undefined {
  return listAllMethods().find((m) => m.id === id);
}
