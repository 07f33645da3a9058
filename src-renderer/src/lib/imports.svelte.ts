/**
 * Dataset imports as the workbench sees them: the ones in progress (with their latest progress
 * event) and the outcomes of those that ended. The main side runs them (datasets:import); this
 * only listens and asks.
 */
import type { DatasetImportRequest, ImportDone, ImportProgress } from '../../../src-main/contract/api';
import { api } from './api';
import { describeError } from './errors';
import { workbench } from './workbench.svelte';

export interface ActiveImport {
  importId: string;
  request: DatasetImportRequest;
  progress: ImportProgress | null;
  startedAt: number;
}

class DatasetImports {
  active = $state.raw<Record<string, ActiveImport>>({});
  /** Outcomes by import id, for the wizard that started them. */
  outcomes = $state.raw<Record<string, ImportDone>>({});
  private subscribed = false;
  /** Imports whose dataset opens in a tab when they succeed (those the wizard started). */
  private readonly openWhenDone = new Set<string>();

  init(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    api.on('dataset:import-progress', (progress) => this.onProgress(progress));
    api.on('dataset:import-done', (done) => this.onDone(done));
  }

  private onProgress(progress: ImportProgress): void {
    const active = this.active[progress.importId];
    if (!active) return;
    this.active = { ...this.active, [progress.importId]: { ...active, progress } };
  }

  private onDone(done: ImportDone): void {
    const { [done.importId]: ended, ...rest } = this.active;
    this.active = rest;
    this.outcomes = { ...this.outcomes, [done.importId]: done };
    // Another window's import is only recorded; ours are announced (see start for a quick one).
    if (ended) this.announce(done);
  }

  private announce(done: ImportDone): void {
    if (done.dataset && this.openWhenDone.delete(done.importId)) {
      void workbench.refreshLists().then(() => {
        if (done.dataset) workbench.openDataset(done.dataset.id);
      });
    }
    if (done.dataset) {
      workbench.notify(
        'info',
        done.reused
          ? `"${done.dataset.name}" is already stored (same files and options): nothing imported.`
          : `Imported "${done.dataset.name}": ${done.dataset.interactions.toLocaleString('en-US')} interactions.`,
      );
    } else if (done.cancelled) {
      workbench.notify('info', 'Import cancelled; nothing was stored.');
    } else if (done.error) {
      workbench.notify('error', `Import failed: ${done.error.message}`);
    }
    void workbench.refreshLists();
  }

  /** Starts an import; returns its id, or the error (and field) when the main side refused it. */
  async start(
    request: DatasetImportRequest,
    options: { openWhenDone?: boolean } = {},
  ): Promise<{ importId: string } | { error: string; field?: string }> {
    this.init();
    try {
      const { importId } = await api.invoke('datasets:import', request);
      if (options.openWhenDone) this.openWhenDone.add(importId);
      // The done event may already have arrived (a no-op import is quick).
      const early = this.outcomes[importId];
      if (early) this.announce(early);
      else {
        this.active = {
          ...this.active,
          [importId]: { importId, request, progress: null, startedAt: Date.now() },
        };
      }
      return { importId };
    } catch (error) {
      const described = describeError(error);
      return { error: described.message, ...(described.field ? { field: described.field } : {}) };
    }
  }

  async cancel(importId: string): Promise<void> {
    try {
      await api.invoke('datasets:cancel-import', { importId });
    } catch (error) {
      workbench.notify('error', describeError(error).message);
    }
  }
}

export const imports = new DatasetImports();
