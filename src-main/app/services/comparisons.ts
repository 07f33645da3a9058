/**
 * Comparing chosen runs from any experiments side by side (`runs:compare`): reads the runs, their
 * experiments' specs and paper-table columns, and builds the table in app/comparison.ts.
 */
import type { ExperimentSpec, MetricColumn } from '../../contract/api';
import type { ComparisonRequest } from '../../contract/api';
import type { ComparisonTable } from '../../contract/comparison';
import { experimentColumns } from '../../core/experiments/spec';
import { listAllMethods } from '../../core/protocols/registry';
import { buildComparison, type ComparedRun } from '../comparison';
import { NotFoundError } from '../../contract/errors';
import { experimentOrThrow, hasGroundTruth, methodNames, type ServiceContext } from './context';

export interface ComparisonService {
  compare(request: ComparisonRequest): ComparisonTable;
}

/** Labels of method parameters (`params.<key>`): the first method declaring the key names it. */
function methodParamLabels(): Map<string, string> {
  const labels = new Map<string, string>();
  for (const method of listAllMethods()) {
    for (const param of method.params) {
      const key = `params.${param.key}`;
      if (!labels.has(key)) labels.set(key, param.label);
    }
  }
  return labels;
}

export function createComparisonService(context: ServiceContext): ComparisonService {
  const { store } = context;
  return {
    compare({ runIds, baselineKey }) {
      const names = methodNames();
      const specs = new Map<number, ExperimentSpec>();
      const columns = new Map<number, MetricColumn[]>();
      const runs: ComparedRun[] = [...new Set(runIds)].map((runId) => {
        const run = store.runs.get(runId);
        if (!run) throw new NotFoundError(`run ${runId} does not exist`);
        if (!specs.has(run.experimentId)) {
          const spec = experimentOrThrow(store, run.experimentId).spec;
          specs.set(run.experimentId, spec);
          columns.set(run.experimentId, experimentColumns(spec, hasGroundTruth(store, spec)));
        }
        return {
          id: run.id,
          experimentId: run.experimentId,
          experimentName: run.experimentName,
          methodIndex: run.methodIndex,
          method: run.method,
          methodName: names[run.method] ?? run.method,
          label: run.label,
          seed: run.seed,
          status: run.status,
          metrics: run.metrics,
          params: run.params,
          datasetName: run.datasetName,
        };
      });
      return buildComparison({ runs, specs, columns, paramLabels: methodParamLabels(), baselineKey });
    },
  };
}
