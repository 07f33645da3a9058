import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TENSORFLOW_PACKAGES, nativeBindingState } from './tf-backends';

describe('nativeBindingState', () => {
  it('says absent for a package that is not installed, and finds the binding file of a built one', async () => {
    for (const { name } of TENSORFLOW_PACKAGES) {
      const state = await nativeBindingState(name);
      if (state.state === 'built') expect(existsSync(state.bindingPath)).toBe(true);
      if (state.state !== 'absent') expect(existsSync(join(state.packageDir, 'package.json'))).toBe(true);
    }
  });
});
