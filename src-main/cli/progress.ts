/**
 * Progress of an experiment's runs on stderr. On a terminal: one line redrawn in place (at most
 * ten times a second). Otherwise (a pipe, a CI log): a plain line per run status change and a
 * summary line every `plainIntervalMs`, so logs stay readable.
 */
import type { JobProgress, LogLine, RunStatus, RunStatusEvent } from '../contract/api';
import type { OutputStream } from './io';

interface RunState {
  label: string;
  seed: number;
  status: RunStatus;
  progress: JobProgress | null;
}

export interface ProgressOptions {
  stream: OutputStream;
  /** Defaults to the stream's isTTY. */
  tty?: boolean;
  plainIntervalMs?: number;
  now?: () => number;
}

const ENDED: ReadonlySet<RunStatus> = new Set(['finished', 'failed', 'cancelled']);

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

export function progressBar(fraction: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function describePhase(progress: JobProgress): string {
  // 'ranking' is the ranking model's training: its epochs and loss show like the method's.
  const parts: string[] = [progress.phase === 'ranking' ? 'ranking model' : progress.phase];
  if (progress.phase === 'train' || progress.phase === 'ranking') {
    parts.push(`epoch ${progress.epoch}/${progress.epochs}`);
    if (progress.stepsPerEpoch > 0) parts.push(`step ${progress.step}/${progress.stepsPerEpoch}`);
    if (progress.loss !== null) parts.push(`loss ${progress.loss.toFixed(4)}`);
  }
  if (progress.samplesPerSecond !== null) parts.push(`${Math.round(progress.samplesPerSecond)} samples/s`);
  return parts.join(' ');
}

export class ProgressReporter {
  private readonly runs = new Map<number, RunState>();
  private readonly stream: OutputStream;
  private readonly tty: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastDraw = 0;
  private lastPlain = 0;
  private lineShown = false;
  private lastRunId: number | null = null;

  constructor(options: ProgressOptions) {
    this.stream = options.stream;
    this.tty = options.tty ?? Boolean(options.stream.isTTY);
    this.plainIntervalMs = options.plainIntervalMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.lastPlain = this.startedAt;
  }

  /** Registers a run; `status` is where it already is (the first runs start before this is called). */
  addRun(runId: number, label: string, seed: number, status: RunStatus = 'queued'): void {
    this.runs.set(runId, { label, seed, status, progress: null });
  }

  /** Overall fraction: ended runs count 1, the others their reported fraction. */
  fraction(): number {
    if (this.runs.size === 0) return 0;
    let sum = 0;
    for (const run of this.runs.values()) {
      sum += ENDED.has(run.status) ? 1 : (run.progress?.fraction ?? 0);
    }
    return sum / this.runs.size;
  }

  line(): string {
    const runs = [...this.runs.values()];
    const ended = runs.filter((run) => ENDED.has(run.status)).length;
    const running = runs.filter((run) => run.status === 'running');
    const fraction = this.fraction();
    const parts = [
      `${progressBar(fraction, 24)} ${String(Math.floor(fraction * 100)).padStart(3)}%`,
      `${ended}/${runs.length} runs done`,
    ];
    const focus = (
      this.lastRunId !== null && this.runs.get(this.lastRunId)?.status === 'running'
        ? this.runs.get(this.lastRunId)
        : running[0]
    ) as RunState | undefined;
    if (focus) {
      const more = running.length > 1 ? ` (+${running.length - 1} running)` : '';
      parts.push(
        `${focus.label} seed ${focus.seed}: ${focus.progress ? describePhase(focus.progress) : 'starting'}${more}`,
      );
    }
    parts.push(formatDuration(this.now() - this.startedAt));
    return parts.join(' · ');
  }

  onProgress(progress: JobProgress): void {
    const run = this.runs.get(progress.runId);
    if (!run) return;
    run.progress = progress;
    if (run.status === 'queued') run.status = 'running';
    this.lastRunId = progress.runId;
    this.tick();
  }

  onStatus(event: RunStatusEvent): void {
    const run = this.runs.get(event.runId);
    if (!run) return;
    run.status = event.status;
    if (event.status === 'running') return this.tick(true);
    const error = event.error ? `: ${event.error}` : '';
    this.message(`run ${event.runId} (${run.label}, seed ${run.seed}) ${event.status}${error}`);
  }

  onLog(line: LogLine): void {
    if (line.runId !== null && !this.runs.has(line.runId)) return;
    // Status lines come through onStatus; info lines would drown the bar.
    if (line.level === 'warn' && line.message.startsWith(`Run ${line.runId} cancelled`)) return;
    if (line.level === 'error' && line.message.startsWith(`Run ${line.runId} failed`)) return;
    if (line.level !== 'info') this.message(`${line.level}: ${line.message}`);
  }

  /** Prints a line above the bar (terminal) or as is (plain). */
  message(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    this.tick(true);
  }

  /** Removes the bar so normal output can follow. */
  finish(): void {
    this.clear();
    if (!this.tty) this.stream.write(`${this.line()}\n`);
  }

  private clear(): void {
    if (this.tty && this.lineShown) {
      this.stream.write('\r\x1b[2K');
      this.lineShown = false;
    }
  }

  private tick(force = false): void {
    const now = this.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const width = Math.max(20, (this.stream.columns || 100) - 1);
      let text = this.line();
      if (text.length > width) text = `${text.slice(0, width - 1)}…`;
      this.stream.write(`\r\x1b[2K${text}`);
      this.lineShown = true;
    } else if (now - this.lastPlain >= this.plainIntervalMs) {
      this.lastPlain = now;
      this.stream.write(`${this.line()}\n`);
    }
  }
}
