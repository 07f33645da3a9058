/** The methods the engine can run. Only working methods are registered. */
import type { MethodDescriptor } from '../../contract/api';
import { bcMethod } from './bc';
import type { MethodModule } from './types';

const METHODS: readonly MethodModule[] = [bcMethod];

export function listMethods(): MethodDescriptor[] {
  return METHODS.map((m) => m.descriptor);
}

export function getMethod(id: string): MethodModule | undefined {
  return METHODS.find((m) => m.descriptor.id === id);
}
