/**
 * The words the dataset view uses for one imported dataset, from how it was imported: what its
 * label means (TikTok's `finish` column, WeChat's play time against the video's duration, or the
 * mapped column of a generic log), which feature modalities it has, and its time range in the
 * source's own unit, so a generic CSV is never described in TikTok's terms.
 */
import type { DatasetProfile, DatasetSummary, DatasetVocabulary } from '../contract/api';

/** Letters the importers give item feature modalities (TikTok's and WeChat's Table 1 columns). */
const MODALITY_NAMES: Record<string, string> = { V: 'visual', A: 'acoustic', T: 'textual' };

/** Unix times between 2000 and 2100, in seconds or milliseconds, are shown as dates. */
const UNIX_SECONDS = { from: 946_684_800, to: 4_102_444_800 };

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The time range in words: dates for Unix times, days for WeChat, the raw values otherwise. */
export function describeTimeRange(kind: DatasetSummary['kind'], [from, to]: [number, number]): string {
  if (kind === 'wechat') return `days ${from}–${to} of the log (WeChat's day index)`;
  const within = (low: number, high: number): boolean => from >= low && to <= high && from <= to;
  if (within(UNIX_SECONDS.from, UNIX_SECONDS.to))
    return `${isoDay(from * 1000)} – ${isoDay(to * 1000)} (Unix seconds)`;
  if (within(UNIX_SECONDS.from * 1000, UNIX_SECONDS.to * 1000)) {
    return `${isoDay(from)} – ${isoDay(to)} (Unix milliseconds)`;
  }
  return `${from} – ${to} (the source's time unit)`;
}

function csvLabelMeaning(params: Record<string, unknown>): string {
  const mapping = params.mapping;
  if (typeof mapping !== 'object' || mapping === null) return 'label = 1 in the imported log';
  const { label, labelThreshold } = mapping as { label?: unknown; labelThreshold?: unknown };
  const column = typeof label === 'string' ? label : 'label';
  return typeof labelThreshold === 'number'
    ? `${column} ≥ ${labelThreshold} (column of the imported log)`
    : `${column} = 1 (column of the imported log)`;
}

export function datasetVocabulary(dataset: DatasetSummary, profile: DatasetProfile): DatasetVocabulary {
  const modalities = profile.modalities.map((letter) => MODALITY_NAMES[letter] ?? letter);
  const timeRange = describeTimeRange(dataset.kind, profile.timeRange);
  switch (dataset.kind) {
    case 'tiktok':
      return {
        positiveWord: 'finished',
        labelMeaning: 'finish = 1: the user watched the video to its end (final_track2_train.txt)',
        modalities,
        timeRange,
      };
    case 'wechat':
      return {
        positiveWord: 'finished',
        labelMeaning: "play time ≥ the video's duration (user_action.csv against feed_info.csv)",
        modalities,
        timeRange,
      };
    default:
      return {
        positiveWord: 'positive',
        labelMeaning: csvLabelMeaning(dataset.params),
        modalities,
        timeRange,
      };
  }
}
