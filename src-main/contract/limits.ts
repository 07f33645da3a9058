/**
 * Size limits on what callers send, the same for every transport (CLI, browser host, Electron).
 * A spec is stored twice per run (the experiment's row and each run's config), so an unbounded
 * one multiplies on disk and in every list the workbench loads; these bounds sit far above any
 * real spec (the bundled ones are a few KB) and far below what would hurt.
 */

/** Characters of an experiment spec's description: a paragraph or two, not a document. */
export const MAX_SPEC_DESCRIPTION_CHARS = 4096;

/** Characters of an experiment spec's name. */
export const MAX_SPEC_NAME_CHARS = 200;

/** Bytes of an experiment spec as JSON (UTF-8), and of a spec file the CLI reads. */
export const MAX_SPEC_BYTES = 2 * 1024 * 1024;

/**
 * Bytes of one API request body: the largest request is `experiments:create`, a spec inside a
 * small envelope, so a spec of the largest size always fits.
 */
export const MAX_REQUEST_BYTES = MAX_SPEC_BYTES + 64 * 1024;

/** Tags on one run or experiment, and characters of one tag. */
export const MAX_TAGS = 20;
export const MAX_TAG_CHARS = 40;

/** Characters of a note on a run or an experiment. */
export const MAX_NOTE_CHARS = 4096;

/** Runs in one `runs:compare` request: every run of the largest bundled grid (125) several times over. */
export const MAX_COMPARED_RUNS = 2000;
/** A byte count for people: `512 bytes`, `3.1 KB`, `2.0 MB` (powers of 1024). */
export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
