/**
 * Whether tests on the native TensorFlow backend run here (imported by *.test.ts only): when
 * tfjs-node's binding is built (`cascade-lab setup tensorflow`), or when CI requires them
 * (CASCADE_LAB_REQUIRE_TENSORFLOW=1, which makes them run, and fail, without the binding).
 * Elsewhere they are reported as skipped, with the reason in their title.
 */
import { TENSORFLOW_PACKAGES, nativeBindingState } from '../node/tf-backends';

const built = (await Promise.all(TENSORFLOW_PACKAGES.map((p) => nativeBindingState(p.name)))).some(
  (s) => s.state === 'built',
);

export const NATIVE_TENSORFLOW_TESTED = built || process.env.CASCADE_LAB_REQUIRE_TENSORFLOW === '1';

/** `title`, with the reason appended when the native TensorFlow tests are skipped here. */
export function nativeTitle(title: string): string {
  return NATIVE_TENSORFLOW_TESTED
    ? title
    : `${title} (skipped: no tfjs-node binding; run cascade-lab setup tensorflow)`;
}
