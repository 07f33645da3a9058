/**
 * The tfjs backends, fastest first: the one list of their names. `auto` tries them in this order
 * (core/tf/backend.ts); the CLI's options, spec validation and the editor's choices derive from it.
 */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';
/** What a spec or a `--backend` option may say: `auto`, then each backend. */
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const satisfies readonly BackendChoice[];

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}
