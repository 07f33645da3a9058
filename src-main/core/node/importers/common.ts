/** Options and progress shared by the importers. */
import type { FileReadProgress } from '../../../contract/api';
import type { ImportFilters } from './processed';

export interface ImportOptions {
  name?: string;
  filters?: ImportFilters;
  signal?: AbortSignal;
  onProgress?: (progress: FileReadProgress) => void;
}

/** Builds the progress callback of `readLines` for one file. */
export function progressFor(
  file: string,
  options: ImportOptions,
  rows: () => number,
): ((bytesRead: number, totalBytes: number) => void) | undefined {
  const report = options.onProgress;
  if (!report) return undefined;
  return (bytesRead, totalBytes) => report({ file, bytesRead, totalBytes, rows: rows() });
}
