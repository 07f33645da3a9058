/**
 * Payload validation for every channel of the contract. Requests come from a renderer or over
 * HTTP, so nothing is trusted: each validator checks the shape, rejects unknown keys, and throws a
 * ValidationError naming the field.
 */
import { isAbsolute } from 'node:path';
import type {
  AnnotationChange,
  Channel,
  ColumnMapping,
  DatasetImportRequest,
  ExperimentSpec,
  ExportFormat,
  ImportFilters,
  ImportFormat,
  RequestOf,
} from '../contract/api';
import {
  IMPORT_EMBEDDING_DIM_RANGE,
  IMPORT_FILTER_RANGES,
  type NumberBounds,
  boundsInterval,
  withinBounds,
} from '../contract/ranges';
import { SpecError, validateSpec } from '../core/experiments/spec';
import { MAX_COMPARED_RUNS } from '../contract/limits';
import { ValidationError } from './errors';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'markdown', 'latex'];
export const IMPORT_FORMATS: readonly ImportFormat[] = ['wechat', 'tiktok', 'csv'];

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** The payload as a plain object whose keys are all in `allowed`. `undefined` counts as `{}`. */
function expectObject(payload: unknown, allowed: readonly string[], field = ''): Record<string, unknown> {
  if (payload === undefined) return {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ValidationError(field, `expected an object, got ${describe(payload)}`);
  }
  const record = payload as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      const expected = allowed.length
        ? `expected only ${allowed.join(', ')}`
        : 'this request takes no fields';
      throw new ValidationError(field ? `${field}.${key}` : key, `unknown field (${expected})`);
    }
  }
  return record;
}

/** A database id: a positive safe integer. */
function expectId(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(field, `expected a positive integer id, got ${describe(value)}`);
  }
  return value;
}

function optionalId(value: unknown, field: string): number | undefined {
  return value === undefined ? undefined : expectId(value, field);
}

function expectBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean')
    throw new ValidationError(field, `must be true or false, got ${describe(value)}`);
  return value;
}

/** A list of run ids, at most MAX_COMPARED_RUNS of them. */
function expectIds(value: unknown, field: string): number[] {
  if (!Array.isArray(value))
    throw new ValidationError(field, `must be a list of ids, got ${describe(value)}`);
  if (value.length > MAX_COMPARED_RUNS) {
    throw new ValidationError(field, `at most ${MAX_COMPARED_RUNS} ids, got ${value.length}`);
  }
  return value.map((id, index) => expectId(id, `${field}[${index}]`));
}

function expectAnnotation(p: Record<string, unknown>): AnnotationChange {
  const change: AnnotationChange = {};
  if (p.tags !== undefined) {
    if (!Array.isArray(p.tags))
      throw new ValidationError('tags', `must be a list of words, got ${describe(p.tags)}`);
    change.tags = p.tags.map((tag, index) => {
      if (typeof tag !== 'string')
        throw new ValidationError(`tags[${index}]`, `must be text, got ${describe(tag)}`);
      return tag;
    });
  }
  if (p.note !== undefined) {
    if (typeof p.note !== 'string')
      throw new ValidationError('note', `must be text, got ${describe(p.note)}`);
    change.note = p.note;
  }
  return change;
}

function empty(payload: unknown): Record<string, never> {
  if (payload === null) return {};
  expectObject(payload, []);
  return {};
}

/**
 * Validates and completes an experiment spec with the engine's rules (defaults applied). Errors
 * name the field under `prefix`, e.g. `spec.methods[0].id`.
 */
export function validateExperimentSpec(input: unknown, prefix = 'spec'): ExperimentSpec {
  try {
    return validateSpec(input);
  } catch (error) {
    if (error instanceof SpecError) {
      const field = error.field ? `${prefix}.${error.field}` : prefix;
      // SpecError messages may already start with the field path; do not say it twice.
      const reason =
        error.field && error.message.startsWith(`${error.field}: `)
          ? error.message.slice(error.field.length + 2)
          : error.message;
      throw new ValidationError(field, reason);
    }
    throw error;
  }
}

/** A file path on the main side's machine: absolute, since the main side's folder means nothing to the user. */
function expectPath(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(field, `expected a file path, got ${describe(value)}`);
  }
  if (value.includes('\0')) throw new ValidationError(field, 'a path cannot contain a NUL character');
  if (!isAbsolute(value)) {
    throw new ValidationError(
      field,
      `expected an absolute path on the machine that runs Cascade Lab, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function expectImportFormat(value: unknown, field: string): ImportFormat {
  if (typeof value !== 'string' || !(IMPORT_FORMATS as readonly string[]).includes(value)) {
    throw new ValidationError(field, `expected one of ${IMPORT_FORMATS.join(', ')}, got ${describe(value)}`);
  }
  return value as ImportFormat;
}

function expectNumber(
  value: unknown,
  field: string,
  range: NumberBounds & { integer?: boolean } = {},
): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, integer = false } = range;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(field, `expected a number, got ${describe(value)}`);
  }
  if (integer && !Number.isInteger(value))
    throw new ValidationError(field, `expected an integer, got ${value}`);
  if (!withinBounds(value, range))
    throw new ValidationError(
      field,
      `must be in ${boundsInterval({ min, max, minExclusive })}, got ${value}`,
    );
  return value;
}

function expectName(value: unknown, field: string, maxLength = 200): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(field, `expected a non-empty string, got ${describe(value)}`);
  }
  if (value.length > maxLength) throw new ValidationError(field, `must be at most ${maxLength} characters`);
  return value;
}

function expectNames(value: unknown, field: string): string[] {
  if (!Array.isArray(value))
    throw new ValidationError(field, `expected an array of column names, got ${describe(value)}`);
  return value.map((name, index) => expectName(name, `${field}[${index}]`));
}

const FILTER_KEYS: readonly (keyof ImportFilters)[] = [
  'minUserInteractions',
  'minItemInteractions',
  'timeFrom',
  'timeTo',
  'userSampleFraction',
  'sampleSeed',
];

function expectFilters(payload: unknown, field: string): ImportFilters {
  const p = expectObject(payload, FILTER_KEYS, field);
  const filters: ImportFilters = {};
  const ranges = IMPORT_FILTER_RANGES;
  if (p.minUserInteractions !== undefined)
    filters.minUserInteractions = expectNumber(
      p.minUserInteractions,
      `${field}.minUserInteractions`,
      ranges.minUserInteractions,
    );
  if (p.minItemInteractions !== undefined)
    filters.minItemInteractions = expectNumber(
      p.minItemInteractions,
      `${field}.minItemInteractions`,
      ranges.minItemInteractions,
    );
  if (p.timeFrom !== undefined) filters.timeFrom = expectNumber(p.timeFrom, `${field}.timeFrom`);
  if (p.timeTo !== undefined) filters.timeTo = expectNumber(p.timeTo, `${field}.timeTo`);
  if (filters.timeFrom !== undefined && filters.timeTo !== undefined && filters.timeFrom > filters.timeTo) {
    throw new ValidationError(`${field}.timeTo`, `must not be before timeFrom (${filters.timeFrom})`);
  }
  if (p.userSampleFraction !== undefined)
    filters.userSampleFraction = expectNumber(
      p.userSampleFraction,
      `${field}.userSampleFraction`,
      ranges.userSampleFraction,
    );
  if (p.sampleSeed !== undefined)
    filters.sampleSeed = expectNumber(p.sampleSeed, `${field}.sampleSeed`, ranges.sampleSeed);
  return filters;
}

const MAPPING_KEYS: readonly (keyof ColumnMapping)[] = [
  'user',
  'item',
  'label',
  'timestamp',
  'weight',
  'userFeatures',
  'itemFeatures',
  'labelThreshold',
];

function expectMapping(payload: unknown, field: string): ColumnMapping {
  if (payload === undefined)
    throw new ValidationError(field, 'required for a csv import (user, item and label columns)');
  const p = expectObject(payload, MAPPING_KEYS, field);
  const mapping: ColumnMapping = {
    user: expectName(p.user, `${field}.user`),
    item: expectName(p.item, `${field}.item`),
    label: expectName(p.label, `${field}.label`),
  };
  if (p.timestamp !== undefined) mapping.timestamp = expectName(p.timestamp, `${field}.timestamp`);
  if (p.weight !== undefined) mapping.weight = expectName(p.weight, `${field}.weight`);
  if (p.userFeatures !== undefined)
    mapping.userFeatures = expectNames(p.userFeatures, `${field}.userFeatures`);
  if (p.itemFeatures !== undefined)
    mapping.itemFeatures = expectNames(p.itemFeatures, `${field}.itemFeatures`);
  if (p.labelThreshold !== undefined)
    mapping.labelThreshold = expectNumber(p.labelThreshold, `${field}.labelThreshold`);
  return mapping;
}

/** At most this many files per import (WeChat has 3, TikTok 5). */
const MAX_IMPORT_FILES = 16;

function expectImportRequest(payload: unknown): DatasetImportRequest {
  const p = expectObject(payload, ['format', 'paths', 'name', 'filters', 'mapping', 'embeddingDim']);
  const format = expectImportFormat(p.format, 'format');
  if (!Array.isArray(p.paths) || p.paths.length === 0) {
    throw new ValidationError('paths', `expected a non-empty array of file paths, got ${describe(p.paths)}`);
  }
  if (p.paths.length > MAX_IMPORT_FILES)
    throw new ValidationError('paths', `at most ${MAX_IMPORT_FILES} files, got ${p.paths.length}`);
  const request: DatasetImportRequest = {
    format,
    paths: p.paths.map((path, index) => expectPath(path, `paths[${index}]`)),
  };
  if (p.name !== undefined) request.name = expectName(p.name, 'name');
  if (p.filters !== undefined) request.filters = expectFilters(p.filters, 'filters');
  if (format === 'csv') request.mapping = expectMapping(p.mapping, 'mapping');
  else if (p.mapping !== undefined)
    throw new ValidationError('mapping', `only csv imports take a column mapping, not ${format}`);
  if (p.embeddingDim !== undefined) {
    if (format !== 'wechat')
      throw new ValidationError('embeddingDim', 'only WeChat imports have feed embeddings to reduce');
    request.embeddingDim = expectNumber(p.embeddingDim, 'embeddingDim', IMPORT_EMBEDDING_DIM_RANGE);
  }
  return request;
}

type Validators = { [C in Channel]: (payload: unknown) => RequestOf<C> };

const VALIDATORS: Validators = {
  'app:info': empty,
  'methods:list': empty,
  'protocols:list': empty,
  'datasets:list': empty,
  'datasets:preview': (payload) => {
    const p = expectObject(payload, ['path', 'format']);
    return { path: expectPath(p.path, 'path'), format: expectImportFormat(p.format, 'format') };
  },
  'datasets:import': expectImportRequest,
  'datasets:cancel-import': (payload) => {
    const p = expectObject(payload, ['importId']);
    return { importId: expectName(p.importId, 'importId', 100) };
  },
  'datasets:profile': (payload) => {
    const p = expectObject(payload, ['datasetId']);
    return { datasetId: expectId(p.datasetId, 'datasetId') };
  },
  'datasets:delete': (payload) => {
    const p = expectObject(payload, ['datasetId']);
    return { datasetId: expectId(p.datasetId, 'datasetId') };
  },
  'experiments:list': empty,
  'experiments:template': empty,
  'experiments:bundled': empty,
  'experiments:get': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'experiments:create': (payload) => {
    const p = expectObject(payload, ['spec']);
    if (p.spec === undefined) throw new ValidationError('spec', 'required');
    return { spec: validateExperimentSpec(p.spec) };
  },
  'experiments:run': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'runs:list': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    const experimentId = optionalId(p.experimentId, 'experimentId');
    return experimentId === undefined ? {} : { experimentId };
  },
  'runs:curves': (payload) => {
    const p = expectObject(payload, ['runId']);
    return { runId: expectId(p.runId, 'runId') };
  },
  'runs:histograms': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'runs:cancel': (payload) => {
    const p = expectObject(payload, ['runId', 'experimentId']);
    const runId = optionalId(p.runId, 'runId');
    const experimentId = optionalId(p.experimentId, 'experimentId');
    if (runId === undefined && experimentId === undefined) {
      throw new ValidationError('runId', 'give runId or experimentId to say what to cancel');
    }
    return {
      ...(runId !== undefined ? { runId } : {}),
      ...(experimentId !== undefined ? { experimentId } : {}),
    };
  },
  'results:table': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'runs:annotate': (payload) => {
    const p = expectObject(payload, ['runId', 'tags', 'note']);
    return { runId: expectId(p.runId, 'runId'), ...expectAnnotation(p) };
  },
  'runs:archive': (payload) => {
    const p = expectObject(payload, ['runIds', 'archived']);
    return { runIds: expectIds(p.runIds, 'runIds'), archived: expectBoolean(p.archived, 'archived') };
  },
  'runs:delete': (payload) => {
    const p = expectObject(payload, ['runIds']);
    return { runIds: expectIds(p.runIds, 'runIds') };
  },
  'experiments:annotate': (payload) => {
    const p = expectObject(payload, ['experimentId', 'tags', 'note']);
    return { experimentId: expectId(p.experimentId, 'experimentId'), ...expectAnnotation(p) };
  },
  'experiments:archive': (payload) => {
    const p = expectObject(payload, ['experimentId', 'archived']);
    return {
      experimentId: expectId(p.experimentId, 'experimentId'),
      archived: expectBoolean(p.archived, 'archived'),
    };
  },
  'experiments:delete': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'runs:compare': (payload) => {
    const p = expectObject(payload, ['runIds', 'baselineKey']);
    if (!Array.isArray(p.runIds))
      throw new ValidationError('runIds', `must be a list of run ids, got ${describe(p.runIds)}`);
    if (p.runIds.length > MAX_COMPARED_RUNS) {
      throw new ValidationError('runIds', `at most ${MAX_COMPARED_RUNS} runs, got ${p.runIds.length}`);
    }
    const runIds = p.runIds.map((id, index) => expectId(id, `runIds[${index}]`));
    if (p.baselineKey === undefined) return { runIds };
    if (typeof p.baselineKey !== 'string' || !/^\d+:\d+$/.test(p.baselineKey)) {
      throw new ValidationError(
        'baselineKey',
        `must be "<experimentId>:<methodIndex>", got ${describe(p.baselineKey)}`,
      );
    }
    return { runIds, baselineKey: p.baselineKey };
  },
  'results:export': (payload) => {
    const p = expectObject(payload, ['experimentId', 'format']);
    const experimentId = expectId(p.experimentId, 'experimentId');
    if (typeof p.format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(p.format)) {
      throw new ValidationError(
        'format',
        `expected one of ${EXPORT_FORMATS.join(', ')}, got ${describe(p.format)}`,
      );
    }
    return { experimentId, format: p.format as ExportFormat };
  },
};

/** Checks a request for `channel`; returns it typed (the spec of `experiments:create` completed). */
export function validateRequest<C extends Channel>(channel: C, payload: unknown): RequestOf<C> {
  const validator = VALIDATORS[channel] as ((payload: unknown) => RequestOf<C>) | undefined;
  if (!validator) throw new ValidationError('channel', `unknown channel ${JSON.stringify(channel)}`);
  return validator(payload);
}
