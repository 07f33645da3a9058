/**
 * The extracted knowledge K(u, i) handed to the plug-in network (KEEP, CIKM 2022, Eq. 4) and its
 * serving forms (section 5.2, Eq. 6).
 *
 *   Eq. 4  K(u, i)    = [K_u, K_i, K_ui^clk, K_ui^cv, K_ui^cart]            ('full': the extraction model)
 *   Eq. 6  K^(u, i, c) = [K^_u, K^_i, K^_u * K^_i, K^_uc]                   ('decomposition+degeneration')
 *
 * with the two strategies alone giving [K^_u, K^_i, K^_u * K^_i] ('decomposition': two-tower
 * extractor) and [K_u, K_c, K^_uc] ('degeneration': the extraction model with the item replaced by
 * its category, so the item-level part is the category embedding K_c). The three switches of the
 * paper's Table 3 select the parts: `user` (K_u or K^_u), `item` (K_i, K^_i or K_c) and
 * `interaction` (K_ui of the selected tasks, K^_u * K^_i and/or K^_uc).
 *
 * Serving. The full form needs the extraction model at request time (N_u * N_i possible pairs).
 * The other forms are served from a cache of N_u + N_i + N_u * N_c rows (CachedKnowledge), built
 * once after pre-training; the product K^_u * K^_i is formed at lookup. LiveKnowledge computes the
 * same vectors through the networks for every pair; the two agree (knowledge.test.ts), which is the
 * point of Eq. 6: the serving form is exact for the model it was trained with, and the cost of
 * caching is paid in model quality (Table 8), not in a serving approximation.
 */
import type { ExtractorArchitecture, KnowledgeExtractor } from './model-extractor';
import { range } from './features';

export type KnowledgeForm = 'full' | 'decomposition' | 'degeneration' | 'decomposition+degeneration';

export const KNOWLEDGE_FORMS: readonly KnowledgeForm[] = [
  'full',
  'decomposition',
  'degeneration',
  'decomposition+degeneration',
];

/** Which parts of K enter the plug-in (Table 3's K_u, K_i, K_ui). */
export interface KnowledgeParts {
  user: boolean;
  item: boolean;
  interaction: boolean;
}

/** The extractors a form needs, in pre-training order. */
export function extractorsFor(form: KnowledgeForm): ExtractorArchitecture[] {
  switch (form) {
    case 'full':
      return ['interaction'];
    case 'decomposition':
      return ['two-tower'];
    case 'degeneration':
      return ['category'];
    case 'decomposition+degeneration':
      return ['two-tower', 'category'];
  }
}

/** Refuses more cached user-category rows than this (Float32 rows of the degenerate knowledge). */
const MAX_USER_CATEGORY_ROWS = 5_000_000;

export interface KnowledgeSource {
  /** Width of K. */
  readonly dim: number;
  /** Names and widths of the parts, in order (for logs). */
  readonly layout: { name: string; dim: number }[];
  /** K of each pair; [n, dim] row-major. */
  knowledge(users: Int32Array, items: Int32Array): Promise<Float32Array>;
}

export type Extractors = Partial<Record<ExtractorArchitecture, KnowledgeExtractor>>;

function need(extractors: Extractors, arch: ExtractorArchitecture): KnowledgeExtractor {
  const e = extractors[arch];
  if (!e) throw new Error(`Knowledge: the '${arch}' extractor is missing`);
  return e;
}

/** One part: its name, width and how to compute it for a batch of pairs. */
interface Part {
  name: string;
  dim: number;
  compute(users: Int32Array, items: Int32Array): Float32Array | Promise<Float32Array>;
}

/** Lays the parts side by side. */
async function concatenate(parts: Part[], users: Int32Array, items: Int32Array): Promise<Float32Array> {
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const out = new Float32Array(users.length * dim);
  let column = 0;
  for (const part of parts) {
    const values = await part.compute(users, items);
    for (let r = 0; r < users.length; r++)
      out.set(values.subarray(r * part.dim, (r + 1) * part.dim), r * dim + column);
    column += part.dim;
  }
  return out;
}

function product(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k] * b[k];
  return out;
}

class PartsSource implements KnowledgeSource {
  readonly dim: number;
  readonly layout: { name: string; dim: number }[];
  constructor(private readonly parts: Part[]) {
    if (parts.length === 0) throw new Error('Knowledge: no part of K is switched on (K_u, K_i, K_ui)');
    this.dim = parts.reduce((s, p) => s + p.dim, 0);
    this.layout = parts.map((p) => ({ name: p.name, dim: p.dim }));
  }
  knowledge(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    return concatenate(this.parts, users, items);
  }
}

/** Eq. 4 / Eq. 6 computed through the extractors for every pair. */
export function liveKnowledge(
  form: KnowledgeForm,
  extractors: Extractors,
  parts: KnowledgeParts,
): KnowledgeSource {
  const list: Part[] = [];
  const add = (on: boolean, name: string, dim: number, compute: Part['compute']) => {
    if (on) list.push({ name, dim, compute });
  };
  if (form === 'full' || form === 'degeneration') {
    const e = need(extractors, form === 'full' ? 'interaction' : 'category');
    add(parts.user, 'K_u', e.userKnowledgeDim, (u) => e.userKnowledge(u));
    add(parts.item, form === 'full' ? 'K_i' : 'K_c', e.itemKnowledgeDim, (_u, i) => e.itemKnowledge(i));
    add(
      parts.interaction,
      form === 'full' ? `K_ui[${e.tasks.join(',')}]` : 'K^_uc',
      e.interactionKnowledgeDim,
      (u, i) => e.interactionKnowledge(u, i),
    );
  } else {
    const tt = need(extractors, 'two-tower');
    add(parts.user, 'K^_u', tt.userKnowledgeDim, (u) => tt.userKnowledge(u));
    add(parts.item, 'K^_i', tt.itemKnowledgeDim, (_u, i) => tt.itemKnowledge(i));
    add(parts.interaction, 'K^_u*K^_i', tt.interactionKnowledgeDim, (u, i) => tt.interactionKnowledge(u, i));
    if (form === 'decomposition+degeneration') {
      const cat = need(extractors, 'category');
      add(parts.interaction, 'K^_uc', cat.interactionKnowledgeDim, (u, i) => cat.interactionKnowledge(u, i));
    }
  }
  return new PartsSource(list);
}

export interface CacheShape {
  numUsers: number;
  numItems: number;
  numCategories: number;
  /** [numItems] */
  itemCategory: Int32Array;
}

/** Rows of a cached table, looked up by id. */
function lookup(table: Float32Array, dim: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let r = 0; r < ids.length; r++) out.set(table.subarray(ids[r] * dim, (ids[r] + 1) * dim), r * dim);
  return out;
}

/**
 * The serving cache of Eq. 6 (GKC, section 5.3): per-user, per-item and per-user-category tables,
 * filled once from the extractors; lookups (and the product K^_u * K^_i) only at request time.
 * Entry counts are reported in `entries` (N_u + N_i + N_uc of section 5.2; for 'degeneration'
 * alone the item-level rows are the N_c category rows).
 */
export class CachedKnowledge implements KnowledgeSource {
  readonly dim: number;
  readonly layout: { name: string; dim: number }[];
  readonly entries: { users: number; items: number; userCategories: number };
  private readonly source: PartsSource;

  private constructor(list: Part[], entries: { users: number; items: number; userCategories: number }) {
    this.source = new PartsSource(list);
    this.dim = this.source.dim;
    this.layout = this.source.layout;
    this.entries = entries;
  }

  /** Fills the tables from the extractors (their tensors read asynchronously). */
  static async build(
    form: Exclude<KnowledgeForm, 'full'>,
    extractors: Extractors,
    parts: KnowledgeParts,
    shape: CacheShape,
  ): Promise<CachedKnowledge> {
    const list: Part[] = [];
    const categoryOf = (items: Int32Array) => Int32Array.from(items, (i) => shape.itemCategory[i]);
    let userCategories = 0;
    const userCategoryPart = async (e: KnowledgeExtractor, name: string): Promise<Part> => {
      const rows = shape.numUsers * shape.numCategories;
      if (rows > MAX_USER_CATEGORY_ROWS)
        throw new Error(
          `Knowledge cache: ${shape.numUsers} users x ${shape.numCategories} categories exceed ${MAX_USER_CATEGORY_ROWS} cached rows`,
        );
      const users = Int32Array.from({ length: rows }, (_, k) => Math.floor(k / shape.numCategories));
      const categories = Int32Array.from({ length: rows }, (_, k) => k % shape.numCategories);
      const table = await e.userCategoryKnowledge(users, categories);
      const dim = e.interactionKnowledgeDim;
      userCategories = rows;
      return {
        name,
        dim,
        compute: (u, i) => {
          const c = categoryOf(i);
          return lookup(
            table,
            dim,
            Int32Array.from(u, (user, r) => user * shape.numCategories + c[r]),
          );
        },
      };
    };
    let users = 0;
    let items = 0;
    if (form === 'degeneration') {
      const e = need(extractors, 'category');
      const userTable = await e.userKnowledge(range(0, shape.numUsers));
      const categoryTable = e.categoryEmbeddings(range(0, shape.numCategories));
      users = shape.numUsers;
      items = shape.numCategories;
      if (parts.user)
        list.push({
          name: 'K_u',
          dim: e.userKnowledgeDim,
          compute: (u) => lookup(userTable, e.userKnowledgeDim, u),
        });
      if (parts.item)
        list.push({
          name: 'K_c',
          dim: e.itemKnowledgeDim,
          compute: (_u, i) => lookup(categoryTable, e.itemKnowledgeDim, categoryOf(i)),
        });
      if (parts.interaction) list.push(await userCategoryPart(e, 'K^_uc'));
    } else {
      const tt = need(extractors, 'two-tower');
      const du = tt.userKnowledgeDim;
      const di = tt.itemKnowledgeDim;
      const userTable = await tt.userKnowledge(range(0, shape.numUsers));
      const itemTable = await tt.itemKnowledge(range(0, shape.numItems));
      users = shape.numUsers;
      items = shape.numItems;
      if (parts.user) list.push({ name: 'K^_u', dim: du, compute: (u) => lookup(userTable, du, u) });
      if (parts.item) list.push({ name: 'K^_i', dim: di, compute: (_u, i) => lookup(itemTable, di, i) });
      if (parts.interaction) {
        list.push({
          name: 'K^_u*K^_i',
          dim: du,
          compute: (u, i) => product(lookup(userTable, du, u), lookup(itemTable, di, i)),
        });
        if (form === 'decomposition+degeneration')
          list.push(await userCategoryPart(need(extractors, 'category'), 'K^_uc'));
      }
    }
    return new CachedKnowledge(list, { users, items, userCategories });
  }

  knowledge(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    return this.source.knowledge(users, items);
  }
}

/** The knowledge a downstream model is trained and served with: live for 'full', cached otherwise. */
export async function servingKnowledge(
  form: KnowledgeForm,
  extractors: Extractors,
  parts: KnowledgeParts,
  shape: CacheShape,
): Promise<KnowledgeSource> {
  return form === 'full'
    ? liveKnowledge(form, extractors, parts)
    : CachedKnowledge.build(form, extractors, parts, shape);
}
