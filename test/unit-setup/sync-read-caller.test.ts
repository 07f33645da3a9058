import { describe, expect, it } from 'vitest';
import { syncReadCaller } from './sync-read-caller';

const stack = (caller: string) =>
  `Error\n    at Tensor.dataSync (/repo/test/unit-setup/no-sync-reads.ts:17:20)\n    at ${caller}\n    at next (/repo/x.ts:1:1)`;

describe('syncReadCaller', () => {
  it('names project code outside tests, and lets tests and libraries read synchronously', () => {
    expect(syncReadCaller(stack('DssmModel.trainStep (/repo/src-main/core/models/dssm.ts:341:25)'))).toBe(
      'DssmModel.trainStep (/repo/src-main/core/models/dssm.ts:341:25)',
    );
    expect(syncReadCaller(stack('<anonymous> (/repo/src-main/core/models/dssm.test.ts:60:3)'))).toBeNull();
    expect(
      syncReadCaller(stack('topk (/repo/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:9:1)')),
    ).toBeNull();
    expect(syncReadCaller(stack('fake (/repo/src-main/core/methods/test-support.ts:40:1)'))).toBeNull();
  });
});
