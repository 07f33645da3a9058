/**
 * Fidelity against the DAMCAR authors' code: our runs of BC and DAMCAR on a WeChat-format folder
 * side by side with the numbers their code produced on the same files (a reference JSON made by
 * scripts/fidelity/run-authors.sh; scripts/fidelity/README.md says how). Pure functions: parsing
 * and checking the reference, per-metric mean ± std on both sides, the ratio, and the targets of
 * the fidelity issue:
 *   - BC: our mean R@100 and N@10 within 5% of the authors' mean;
 *   - DAMCAR: our mean R@100 and N@10 inside the authors' spread (>= their lowest run) or better.
 * The CLI command `cascade-lab bench-fidelity` runs the experiment and prints these.
 */
import type { RunSummary } from '../contract/api';
import { meanAndStd } from './results';

/** One run of the authors' code, as the reference file lists it. */
export interface ReferenceRun {
  method: string;
  seed: number;
  collapsed: boolean;
  metrics: Record<string, number>;
}

export interface FidelityReference {
  /** What made it: repository, commit, generator arguments (kept as given, shown in the report). */
  description: string;
  runs: ReferenceRun[];
  /** Runs the reference left out, with why (e.g. a collapsed DSSM). */
  dropped: { method: string; seed: number; why: string }[];
}

/** A reference file that is not what `run-authors.sh` writes; names the file and the field. */
export class ReferenceFileError extends Error {
  constructor(file: string, field: string, message: string) {
    super(`${file}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'ReferenceFileError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks a reference JSON; every error names the file and the field. */
export function parseFidelityReference(text: string, file: string): FidelityReference {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReferenceFileError(file, '', `not JSON (${(error as Error).message})`);
  }
  if (!isRecord(json)) throw new ReferenceFileError(file, '', 'expected an object');
  if (!Array.isArray(json.runs) || json.runs.length === 0)
    throw new ReferenceFileError(file, 'runs', 'expected a non-empty list of runs');
  const runs = json.runs.map((run: unknown, k): ReferenceRun => {
    const path = `runs[${k}]`;
    if (!isRecord(run)) throw new ReferenceFileError(file, path, 'expected an object');
    if (typeof run.method !== 'string' || run.method === '')
      throw new ReferenceFileError(file, `${path}.method`, 'expected a method name such as "BC"');
    if (typeof run.seed !== 'number' || !Number.isInteger(run.seed))
      throw new ReferenceFileError(file, `${path}.seed`, 'expected an integer');
    if (!isRecord(run.metrics)) throw new ReferenceFileError(file, `${path}.metrics`, 'expected an object');
    const metrics: Record<string, number> = {};
    for (const [key, value] of Object.entries(run.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new ReferenceFileError(
          file,
          `${path}.metrics.${key}`,
          `expected a finite number, got ${JSON.stringify(value)}`,
        );
      metrics[key] = value;
    }
    return { method: run.method, seed: run.seed, collapsed: run.collapsed === true, metrics };
  });
  const dropped = Array.isArray(json.dropped)
    ? json.dropped.filter(isRecord).map((d) => ({
        method: String(d.method),
        seed: Number(d.seed),
        why: String(d.why ?? ''),
      }))
    : [];
  const code = isRecord(json.code) ? json.code : {};
  const dataset = isRecord(json.dataset) ? json.dataset : {};
  const description = [
    typeof code.repository === 'string'
      ? `${code.repository}${typeof code.commit === 'string' ? `@${code.commit.slice(0, 7)}` : ''}`
      : null,
    Array.isArray(dataset.args) ? `data: gen_wechat_like.py ${dataset.args.join(' ')}`.trim() : null,
    typeof json.evaluation === 'string' ? json.evaluation : null,
  ]
    .filter((part): part is string => part !== null)
    .join('; ');
  return { description, runs, dropped };
}

/** Our method ids and the authors' names for them. */
export const FIDELITY_METHODS: Record<string, string> = { bc: 'BC', damcar: 'DAMCAR' };

export interface SideSummary {
  mean: number;
  std: number;
  n: number;
  min: number;
  max: number;
}

export interface FidelityRow {
  /** The authors' name, e.g. 'BC'. */
  method: string;
  metric: string;
  ours: SideSummary | null;
  theirs: SideSummary | null;
  /** ours.mean / theirs.mean, or null when either is missing or theirs is 0. */
  ratio: number | null;
}

function summarise(values: number[]): SideSummary | null {
  if (values.length === 0) return null;
  const { mean, std } = meanAndStd(values);
  return { mean, std, n: values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** Per (method, metric): our finished runs against the reference's non-collapsed runs. */
export function compareWithReference(
  ours: Pick<RunSummary, 'method' | 'status' | 'metrics'>[],
  reference: FidelityReference,
  metrics: readonly string[],
): FidelityRow[] {
  const rows: FidelityRow[] = [];
  for (const [id, name] of Object.entries(FIDELITY_METHODS)) {
    const ourRuns = ours.filter((run) => run.method === id && run.status === 'finished');
    const theirRuns = reference.runs.filter((run) => run.method === name && !run.collapsed);
    if (ourRuns.length === 0 && theirRuns.length === 0) continue;
    for (const metric of metrics) {
      const o = summarise(ourRuns.flatMap((run) => (metric in run.metrics ? [run.metrics[metric]] : [])));
      const t = summarise(theirRuns.flatMap((run) => (metric in run.metrics ? [run.metrics[metric]] : [])));
      rows.push({
        method: name,
        metric,
        ours: o,
        theirs: t,
        ratio: o && t && t.mean !== 0 ? o.mean / t.mean : null,
      });
    }
  }
  return rows;
}

export interface FidelityTarget {
  description: string;
  met: boolean | null;
  /** e.g. `0.1137 vs 0.1270: -10.5%`; null when a side has no runs. */
  detail: string;
}

/** Relative tolerance of the BC target. */
export const BC_TOLERANCE = 0.05;
const TARGET_METRICS = ['R@100', 'N@10'];

/** The issue's targets on R@100 and N@10 (see the file comment). */
export function fidelityTargets(rows: FidelityRow[]): FidelityTarget[] {
  const out: FidelityTarget[] = [];
  for (const metric of TARGET_METRICS) {
    const bc = rows.find((row) => row.method === 'BC' && row.metric === metric);
    if (bc) {
      const met = bc.ratio === null ? null : Math.abs(bc.ratio - 1) <= BC_TOLERANCE;
      out.push({
        description: `BC ${metric} within ${BC_TOLERANCE * 100}% of the authors' mean`,
        met,
        detail:
          bc.ours && bc.theirs && bc.ratio !== null
            ? `${bc.ours.mean.toFixed(4)} vs ${bc.theirs.mean.toFixed(4)}: ${signedPercent(bc.ratio - 1)}`
            : 'a side has no runs',
      });
    }
    const damcar = rows.find((row) => row.method === 'DAMCAR' && row.metric === metric);
    if (damcar) {
      const met = damcar.ours && damcar.theirs ? damcar.ours.mean >= damcar.theirs.min : null;
      out.push({
        description: `DAMCAR ${metric} mean inside the authors' spread or better`,
        met,
        detail:
          damcar.ours && damcar.theirs
            ? `${damcar.ours.mean.toFixed(4)} vs their runs ${damcar.theirs.min.toFixed(4)}-${damcar.theirs.max.toFixed(4)}`
            : 'a side has no runs',
      });
    }
  }
  return out;
}

function signedPercent(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function cell(side: SideSummary | null): string {
  if (!side) return '–';
  return side.n > 1
    ? `${side.mean.toFixed(4)} ± ${side.std.toFixed(4)} (n=${side.n})`
    : `${side.mean.toFixed(4)} (n=1)`;
}

/** A Markdown report: the comparison table, the targets, and what each side left out. */
export function renderFidelityReport(input: {
  title: string;
  reference: FidelityReference;
  rows: FidelityRow[];
  targets: FidelityTarget[];
  /** Our runs that did not finish, with their errors (e.g. a collapsed DSSM). */
  failed: Pick<RunSummary, 'method' | 'seed' | 'error'>[];
  /** What produced our side (the results table's caption). */
  ourSettings: string;
}): string {
  const lines = [
    `## ${input.title}`,
    '',
    '| Method | Metric | Cascade Lab | Authors’ code | Ratio |',
    '| --- | --- | --- | --- | ---: |',
    ...input.rows.map(
      (row) =>
        `| ${row.method} | ${row.metric} | ${cell(row.ours)} | ${cell(row.theirs)} | ${row.ratio === null ? '–' : row.ratio.toFixed(3)} |`,
    ),
    '',
    'Targets:',
    ...input.targets.map(
      (t) =>
        `- ${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'}: ${t.description} (${t.detail})`,
    ),
    '',
    `Cascade Lab: ${input.ourSettings}`,
    `Authors' code: ${input.reference.description || 'see the reference file'}`,
  ];
  for (const run of input.failed)
    lines.push(
      `Left out of ours: ${FIDELITY_METHODS[run.method] ?? run.method} seed ${run.seed}: ${run.error ?? 'did not finish'}`,
    );
  for (const run of input.reference.dropped)
    lines.push(`Left out of theirs: ${run.method} seed ${run.seed}: ${run.why}`);
  const collapsed = input.reference.runs.filter((run) => run.collapsed);
  for (const run of collapsed) lines.push(`Left out of theirs: ${run.method} seed ${run.seed}: collapsed`);
  return `${lines.join('\n')}\n`;
}
