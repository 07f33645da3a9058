/**
 * Exports of an experiment's results table as a file's text (CSV, Markdown, LaTeX; export.ts
 * renders them). The table itself comes from the experiments service, so an export always
 * shows what `results:table` shows.
 */
import type { ExportFormat, ResponseOf } from '../../contract/api';
import { exportTable } from '../export';
import type { ExperimentService } from './experiments';

export interface ExportService {
  exportResults(experimentId: number, format: ExportFormat): ResponseOf<'results:export'>;
}

export function createExportService(experiments: Pick<ExperimentService, 'resultTable'>): ExportService {
  return {
    exportResults: (experimentId, format) => exportTable(experiments.resultTable(experimentId), format),
  };
}
