/** Number and time formatting for the workbench (tables, status bar, progress). */
import type { JobProgress, ResultCell, RunStatus } from '../../../src-main/contract/api';
import { type NumberBounds, withinBounds } from '../../../src-main/contract/ranges';

/** A count with its noun: `1 run`, `0 runs`, `15 runs`; `plural` for nouns not ending in -s. */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/**
 * A metric value with four decimals below 10 (recalls, NDCGs, AUCs: the papers print four) and
 * two above (counts, ranks).
 */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) < 10 ? value.toFixed(4) : value.toFixed(2);
}

/** `mean ± std` when several seeds produced the value, the mean alone otherwise. */
export function formatCell(cell: ResultCell): string {
  return cell.n > 1 ? `${formatMetric(cell.mean)} ± ${formatMetric(cell.std)}` : formatMetric(cell.mean);
}

/** Milliseconds as `850 ms`, `12.3 s`, `4 min 05 s` or `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const totalSeconds = Math.round(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Samples per second, compact: `950/s`, `12.3k/s`, `1.2M/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${Math.round(perSecond)}/s`;
}

/** An ISO timestamp as local `YYYY-MM-DD HH:MM`. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** An ISO timestamp as local `HH:MM:SS` (log lines). */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toTimeString().slice(0, 8);
}

export type ParsedList = { ok: true; values: number[] } | { ok: false; error: string };

/**
 * Parses a comma- or space-separated list of numbers, e.g. the retrieval cut-offs `100, 200`.
 * With `integer`, every entry must be a whole number; with `min`, at least that.
 */
export function parseNumberList(
  text: string,
  options: NumberBounds & { integer?: boolean } = {},
): ParsedList {
  const parts = text
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) return { ok: false, error: 'Enter at least one number.' };
  const values: number[] = [];
  for (const part of parts) {
    const value = Number(part);
    if (!Number.isFinite(value)) return { ok: false, error: `"${part}" is not a number.` };
    if (options.integer && !Number.isInteger(value))
      return { ok: false, error: `"${part}" is not a whole number.` };
    if (!withinBounds(value, options)) {
      const { min, max, minExclusive } = options;
      if (max !== undefined && value > max)
        return { ok: false, error: `"${part}" is above the maximum ${max}.` };
      return {
        ok: false,
        error: minExclusive ? `"${part}" is not above ${min}.` : `"${part}" is below the minimum ${min}.`,
      };
    }
    values.push(value);
  }
  return { ok: true, values };
}

/** How a progress phase reads in the workbench: 'ranking' is the ranking model's training. */
export function phaseLabel(phase: JobProgress['phase']): string {
  return phase === 'ranking' ? 'ranking model' : phase;
}

/** Whether the phase trains a model, so epoch, step and loss describe that model. */
export function isTrainingPhase(phase: JobProgress['phase']): boolean {
  return phase === 'train' || phase === 'ranking';
}

/** A one-line progress summary: `train 2/3`, `ranking model 1/3`, `eval`. */
export function describeProgress(progress: JobProgress): string {
  const label = phaseLabel(progress.phase);
  return isTrainingPhase(progress.phase) ? `${label} ${progress.epoch}/${progress.epochs}` : label;
}

/** running: some run is queued or running; otherwise how the experiment's runs ended. */
export type ExperimentProgressState = 'running' | 'finished' | 'failed' | 'cancelled';

export interface ExperimentProgress {
  state: ExperimentProgressState;
  /** The bar's filled share, 0..1. */
  fraction: number;
  /** e.g. `3 of 15 runs finished, 2 active` or `cancelled: 0 of 15 runs finished`. */
  text: string;
}

/**
 * An experiment's progress over its runs. While runs are active the bar counts ended runs and the
 * active runs' own progress; once none is, it shows the finished share, so a cancelled or failed
 * experiment does not read as complete.
 */
export function describeExperimentProgress(
  runs: readonly { status: RunStatus; fraction?: number }[],
): ExperimentProgress {
  const count = (status: RunStatus): number => runs.filter((run) => run.status === status).length;
  const finished = count('finished');
  const failed = count('failed');
  const cancelled = count('cancelled');
  const active = runs.length - finished - failed - cancelled;
  const total = Math.max(runs.length, 1);
  const summary = `${finished} of ${pluralize(runs.length, 'run')} finished`;
  if (active > 0) {
    let done = finished + failed + cancelled;
    for (const run of runs) {
      if (run.status === 'queued' || run.status === 'running') done += run.fraction ?? 0;
    }
    const extras = [`${active} active`];
    if (failed > 0) extras.push(`${failed} failed`);
    if (cancelled > 0) extras.push(`${cancelled} cancelled`);
    return { state: 'running', fraction: done / total, text: `${summary}, ${extras.join(', ')}` };
  }
  const fraction = runs.length === 0 ? 0 : finished / total;
  if (failed === 0 && cancelled === 0) return { state: 'finished', fraction, text: summary };
  const state = failed > 0 ? 'failed' : 'cancelled';
  // Name both counts only when the runs ended both ways; one way is in the prefix already.
  const both = failed > 0 && cancelled > 0 ? ` (${failed} failed, ${cancelled} cancelled)` : '';
  return { state, fraction, text: `${state}: ${summary}${both}` };
}
