/**
 * Searching runs and experiments, as the Runs and Experiments views do: free words match anywhere
 * (name, method, testbed, dataset, tags, note, id, the queue worker that ran a run), and
 * `key:value` terms narrow by one field:
 *
 *   method:bc  testbed:rra  dataset:tiktok  status:failed  tag:baseline
 *   after:2026-12-01  before:2026-12-31  is:archived
 *
 * Every term must match (AND); values match as case-insensitive substrings, dates by the day the
 * run or experiment was created. Archived items are left out unless `is:archived` asks for them
 * (or the view shows archived ones too).
 */
import { DEFAULT_PROTOCOL, type ExperimentSummary, type RunSummary } from '../../../src-main/contract/api';

export const SEARCH_KEYS = [
  'method',
  'testbed',
  'dataset',
  'status',
  'tag',
  'after',
  'before',
  'is',
] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];

export interface SearchQuery {
  words: string[];
  terms: { key: SearchKey; value: string }[];
  /** Messages for terms that could not be read (an unknown key, a date that is not YYYY-MM-DD). */
  problems: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseSearch(text: string): SearchQuery {
  const query: SearchQuery = { words: [], terms: [], problems: [] };
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const colon = token.indexOf(':');
    if (colon <= 0 || colon === token.length - 1) {
      query.words.push(token.toLowerCase());
      continue;
    }
    const key = token.slice(0, colon).toLowerCase();
    const value = token.slice(colon + 1).toLowerCase();
    if (!(SEARCH_KEYS as readonly string[]).includes(key)) {
      query.problems.push(`"${key}:" is not a search key (use ${SEARCH_KEYS.map((k) => `${k}:`).join(' ')})`);
    } else if ((key === 'after' || key === 'before') && !DATE.test(value)) {
      query.problems.push(`${key}: needs a date as YYYY-MM-DD, got "${value}"`);
    } else if (key === 'is' && value !== 'archived') {
      query.problems.push(`is: takes "archived", got "${value}"`);
    } else {
      query.terms.push({ key: key as SearchKey, value });
    }
  }
  return query;
}

/** The fields a query looks at, common to runs and experiments. */
interface Searchable {
  text: string[];
  methods: string[];
  testbed: string;
  datasets: string[];
  statuses: string[];
  tags: string[];
  createdAt: string;
  archived: boolean;
}

function matches(item: Searchable, query: SearchQuery, showArchived: boolean): boolean {
  const wantsArchived = query.terms.some((term) => term.key === 'is');
  if (item.archived && !showArchived && !wantsArchived) return false;
  const has = (values: string[], value: string): boolean =>
    values.some((candidate) => candidate.toLowerCase().includes(value));
  const haystack = [...item.text, ...item.methods, item.testbed, ...item.datasets, ...item.tags];
  if (!query.words.every((word) => has(haystack, word))) return false;
  const day = item.createdAt.slice(0, 10);
  return query.terms.every(({ key, value }) => {
    switch (key) {
      case 'method':
        return has(item.methods, value);
      case 'testbed':
        return item.testbed.toLowerCase().includes(value);
      case 'dataset':
        return has(item.datasets, value);
      case 'status':
        return item.statuses.some((status) => status === value);
      case 'tag':
        return has(item.tags, value);
      case 'after':
        return day >= value;
      case 'before':
        return day <= value;
      case 'is':
        return item.archived;
    }
  });
}

export function runMatches(run: RunSummary, query: SearchQuery, showArchived = false): boolean {
  return matches(
    {
      text: [`#${run.id}`, run.label, run.experimentName, run.note, `seed ${run.seed}`, run.worker ?? ''],
      methods: [run.method, run.methodName],
      testbed: run.protocol,
      datasets: [run.datasetName],
      statuses: [run.status],
      tags: run.tags,
      createdAt: run.createdAt,
      archived: run.archived,
    },
    query,
    showArchived,
  );
}

/** `datasetName` names the experiment's data as the view shows it. */
export function experimentMatches(
  experiment: ExperimentSummary,
  datasetName: string,
  query: SearchQuery,
  showArchived = false,
): boolean {
  const statuses = Object.entries(experiment.runCounts)
    .filter(([, count]) => count > 0)
    .map(([status]) => status);
  return matches(
    {
      text: [`#${experiment.id}`, experiment.name, experiment.note, experiment.spec.description ?? ''],
      methods: experiment.spec.methods.flatMap((method) => [method.id, method.label ?? '']),
      testbed: experiment.spec.protocol ?? DEFAULT_PROTOCOL,
      datasets: [datasetName],
      statuses,
      tags: experiment.tags,
      createdAt: experiment.createdAt,
      archived: experiment.archived,
    },
    query,
    showArchived,
  );
}

/** Tags typed as `a, b, c` (commas separate; spaces inside a tag stay). */
export function parseTagList(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}
