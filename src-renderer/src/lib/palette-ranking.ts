/**
 * How the command palette orders its matches: exact matches first, then prefix matches, then
 * matches where every query word starts a word of the label, then labels that merely contain every
 * query word. Within one tier the given order is kept.
 */

/** How well a label matches a query, best first. */
export const MATCH_TIERS = ['exact', 'prefix', 'word-prefix', 'contains'] as const;
export type MatchTier = (typeof MATCH_TIERS)[number];

/** What the palette matches a query against: the label it shows and the category before it. */
export interface PaletteLabel {
  /** e.g. `Open spec: DAMCAR Figure 5: retrieval predictions on target-domain samples`. */
  label: string;
  /** e.g. `Experiment`; shown as `Experiment: <label>`. */
  category: string;
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Letter-and-digit runs: `w/o TDG (λ3=0.1)` → `w`, `o`, `tdg`, `λ3`, `0`, `1`. */
function wordsOf(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** The label after its `Verb: ` prefix (`Open spec: X` → `X`), or null when it has none. */
function withoutVerb(label: string): string | null {
  const colon = label.indexOf(': ');
  return colon > 0 ? label.slice(colon + 2) : null;
}

/** The tier a label falls in for the query, or null when it does not match; '' matches everything as 'contains'. */
export function matchTier(query: string, { label, category }: PaletteLabel): MatchTier | null {
  const wanted = normalize(query);
  const shown = normalize(label);
  const full = normalize(`${category}: ${label}`);
  if (wanted === '') return 'contains';
  const afterVerb = withoutVerb(shown);
  const whole = [shown, full, ...(afterVerb === null ? [] : [afterVerb])];
  if (whole.includes(wanted)) return 'exact';
  // `category: label` counts only once the query reaches into the label: "run" is no prefix of
  // "Runs: Cancel runs".
  const reachesLabel = wanted.length > full.length - shown.length;
  if (whole.some((text) => (text !== full || reachesLabel) && text.startsWith(wanted))) return 'prefix';
  const labelWords = wordsOf(full);
  const queryWords = wordsOf(wanted);
  if (queryWords.length > 0 && queryWords.every((word) => labelWords.some((w) => w.startsWith(word))))
    return 'word-prefix';
  if (wanted.split(' ').every((word) => full.includes(word))) return 'contains';
  return null;
}

/** The items that match the query, best tier first; items of one tier keep their given order. */
export function rankByMatch<T>(query: string, items: readonly T[], labelOf: (item: T) => PaletteLabel): T[] {
  return items
    .map((item, index) => ({ item, index, tier: matchTier(query, labelOf(item)) }))
    .filter((entry): entry is { item: T; index: number; tier: MatchTier } => entry.tier !== null)
    .sort((a, b) => MATCH_TIERS.indexOf(a.tier) - MATCH_TIERS.indexOf(b.tier) || a.index - b.index)
    .map((entry) => entry.item);
}
