/** The methods the engine can run. Only working methods are registered. */
import type { MethodDescriptor } from '../../contract/api';
import { arMethod } from './ar';
import { bcMethod } from './bc';
import { damcarMethod } from './damcar';
import { kdMethod } from './kd';
import { mudaMethod } from './muda';
import { tlMethod } from './tl';
import type { MethodModule } from './types';

const METHODS: readonly MethodModule[] = [bcMethod, kdMethod, tlMethod, arMethod, mudaMethod, damcarMethod];

export function listMethods(): MethodDescriptor[] {
  return METHODS.map((m) => m.descriptor);
}

export function getMethod(id: string): MethodModule | undefined {
  return METHODS.find((m) => m.descriptor.id === id);
}
