import { ResPruneError } from '@resprune/errors';
import { tokenInfo } from './layout.js';
import type { NewlinePolicy, VisualLayout } from './types.js';

/**
 * One part of an LLM input sequence: a run of `text` tokens (any non-image rows: words, special
 * tokens such as `<|vision_start|>`), or the placeholder tokens of image `image` (its whole span in
 * the layout). Images must appear once each, in layout order.
 *
 * @example
 * ```ts
 * const prompt: PromptPart[] = [{ text: 5 }, { image: 0 }, { text: 12 }];
 * ```
 */
export type PromptPart = { readonly text: number } | { readonly image: number };

/**
 * Position ids of the rows of a compacted sequence, one entry per kept row.
 *
 * - `sequential`: one id per row (LLaVA).
 * - `mrope`: a `[t, h, w]` triple per row (Qwen M-RoPE).
 *
 * @example
 * ```ts
 * if (positions.scheme === 'mrope') console.log(positions.ids[0]); // [t, h, w]
 * ```
 */
export type PositionIds =
  | { readonly scheme: 'sequential'; readonly ids: readonly number[] }
  | { readonly scheme: 'mrope'; readonly ids: ReadonlyArray<readonly [number, number, number]> };

/**
 * Options of {@link compact}.
 *
 * @example
 * ```ts
 * const options: CompactOptions = { prompt: [{ text: 3 }, { image: 0 }, { text: 2 }], newlines: 'keep-rows' };
 * ```
 */
export interface CompactOptions {
  /** The full LLM input; default: the images alone, in order, with no text. */
  readonly prompt?: readonly PromptPart[];
  /** Newline rule (default: the layout's); must match the one the plan used. */
  readonly newlines?: NewlinePolicy;
  /** Minimum kept tokens per image (capped by its candidates); default 1, 0 disables the guard. */
  readonly minTokens?: number;
}

/**
 * The compacted LLM input: which rows of the original sequence stay and their position ids.
 *
 * @example
 * ```ts
 * const out = compact(layout, kept, { prompt });
 * const rows = out.keep;         // gather these rows of inputs_embeds: [keep.length, hidden]
 * const pos = out.positions.ids; // position_ids for them
 * ```
 */
export interface CompactedInput {
  /** Length of the original (unpruned) sequence. */
  readonly length: number;
  /** Row indices of the original sequence that stay, ascending: all text rows and the kept visual rows. */
  readonly keep: readonly number[];
  /** Visual token indices that stay (after the newline rule), ascending. */
  readonly visual: readonly number[];
  /** Position ids, one per row of `keep`. */
  readonly positions: PositionIds;
  /** First position id after the sequence (for generated tokens); for `mrope`, the `t/h/w` id they all share. */
  readonly nextPosition: number;
}

const NEWLINES: readonly NewlinePolicy[] = ['drop', 'keep', 'keep-rows', 'select'];

function invalid(message: string): ResPruneError {
  return new ResPruneError('E_INVALID_OPTION', message);
}

function checkPrompt(layout: VisualLayout, prompt: readonly PromptPart[]): void {
  let next = 0;
  for (const part of prompt) {
    const p = part as { text?: unknown; image?: unknown };
    if (p.text !== undefined && p.image === undefined) {
      if (typeof p.text !== 'number' || !Number.isSafeInteger(p.text) || p.text < 0) {
        throw invalid(`prompt: a text part must have an integer length >= 0, got ${String(p.text)}`);
      }
    } else if (p.image !== undefined && p.text === undefined) {
      if (p.image !== next) {
        throw invalid(
          `prompt: images must appear once each in layout order; expected image ${next}, got ${String(p.image)}`,
        );
      }
      next++;
    } else {
      throw invalid('prompt: each part is either { text: n } or { image: i }');
    }
  }
  if (next !== layout.images.length) {
    throw invalid(`prompt: the layout has ${layout.images.length} images but the prompt places ${next}`);
  }
}

/**
 * Applies the newline rule to a selection: checks the kept indices and returns the visual tokens
 * that stay, ascending.
 *
 * @param layout - the layout
 * @param kept - selected visual token indices (any order)
 * @param newlines - the newline rule
 * @param minTokens - minimum kept tokens per image (capped by the image's candidates)
 * @returns visual token indices that stay
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for an out-of-range or repeated index,
 *   or a newline index under a rule that does not let the selector pick newlines; `E_BUDGET` when an
 *   image keeps fewer than the guard
 * @example
 * ```ts
 * keptVisualTokens(layout, [0, 5, 9], 'keep-rows', 1);
 * ```
 */
export function keptVisualTokens(
  layout: VisualLayout,
  kept: ArrayLike<number>,
  newlines: NewlinePolicy,
  minTokens = 1,
): number[] {
  if (!NEWLINES.includes(newlines)) {
    throw invalid(`newline rule must be one of ${NEWLINES.join(', ')}, got "${String(newlines)}"`);
  }
  if (!Number.isSafeInteger(minTokens) || minTokens < 0) {
    throw new ResPruneError('E_BUDGET', `minTokens must be an integer >= 0, got ${String(minTokens)}`);
  }
  const isNewline = new Uint8Array(layout.tokens);
  for (const i of layout.newlines) isNewline[i] = 1;
  const stay = new Uint8Array(layout.tokens);
  const perImage = new Array<number>(layout.images.length).fill(0);
  for (let j = 0; j < kept.length; j++) {
    const i = kept[j]!;
    if (!Number.isSafeInteger(i) || i < 0 || i >= layout.tokens) {
      throw invalid(`kept index ${i} is out of range: the ${layout.backbone} layout has ${layout.tokens} visual tokens`);
    }
    if (stay[i] === 1) throw invalid(`kept index ${i} appears twice`);
    if (isNewline[i] === 1 && newlines !== 'select') {
      throw invalid(
        `kept index ${i} is a newline token, which the "${newlines}" rule places itself; select newlines only with the "select" rule`,
      );
    }
    stay[i] = 1;
    perImage[tokenInfo(layout, i).image]! += 1;
  }
  layout.images.forEach((image, k) => {
    let candidates = image.length;
    if (newlines !== 'select') for (const v of image.views) if (v.newlineAfterRow) candidates -= v.rows;
    const need = Math.min(minTokens, candidates);
    if (perImage[k]! < need) {
      throw new ResPruneError(
        'E_BUDGET',
        `image ${k} keeps ${perImage[k]} of its ${candidates} tokens, below the minimum of ${need}; every image must keep at least min(minTokens, tokens)`,
      );
    }
  });
  if (newlines === 'keep') for (const i of layout.newlines) stay[i] = 1;
  if (newlines === 'keep-rows') {
    for (const view of layout.views) {
      if (!view.newlineAfterRow) continue;
      for (let r = 0; r < view.rows; r++) {
        const rowStart = view.start + r * (view.cols + 1);
        let any = false;
        for (let c = 0; c < view.cols && !any; c++) any = stay[rowStart + c] === 1;
        if (any) stay[rowStart + view.cols] = 1;
      }
    }
  }
  const out: number[] = [];
  for (let i = 0; i < layout.tokens; i++) if (stay[i] === 1) out.push(i);
  return out;
}

/**
 * Builds the compacted LLM input from a selection: every text row stays, the kept visual rows stay
 * (after the newline rule), and each row gets its position id in the backbone's scheme.
 *
 * - `sequential` (LLaVA): rows are re-indexed contiguously, 0 … keep.length − 1.
 * - `mrope` (Qwen2-VL, Qwen2.5-VL): text rows get (p, p, p) with p counting on from the previous
 *   part; a kept visual token at (row r, col c) of an image starting at position s keeps its original
 *   ids (s, s + r, s + c); text after an image resumes at s + max(rows, cols), exactly where it would
 *   without pruning (HF `get_rope_index`).
 *
 * @param layout - the layout of the prompt's images
 * @param kept - selected visual token indices (any order; for example from {@link selectWithPlan})
 * @param options - the full prompt, the newline rule and the minimum-tokens guard
 * @returns rows that stay, visual tokens that stay, positions and the next position id
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for a malformed prompt or selection;
 *   `E_BUDGET` when an image keeps fewer tokens than the guard
 * @example
 * ```ts
 * const out = compact(layout, [0, 1, 2], { prompt: [{ text: 4 }, { image: 0 }, { text: 9 }] });
 * out.keep.length; // 4 + 3 + 9
 * ```
 */
export function compact(layout: VisualLayout, kept: ArrayLike<number>, options: CompactOptions = {}): CompactedInput {
  const newlines = options.newlines ?? layout.defaults.newlines;
  const prompt = options.prompt ?? layout.images.map((_, image) => ({ image }));
  checkPrompt(layout, prompt);
  const visual = keptVisualTokens(layout, kept, newlines, options.minTokens ?? 1);
  const keep: number[] = [];
  const mrope: Array<readonly [number, number, number]> = [];
  let row = 0; // row index in the original sequence
  let next = 0; // next M-RoPE position id
  let cursor = 0; // index into `visual`
  let length = 0;
  for (const part of prompt) {
    if ('text' in part) {
      for (let t = 0; t < part.text; t++) {
        keep.push(row + t);
        mrope.push([next + t, next + t, next + t]);
      }
      row += part.text;
      next += part.text;
      length += part.text;
      continue;
    }
    const image = layout.images[part.image]!;
    const end = image.start + image.length;
    const s = next;
    while (cursor < visual.length && visual[cursor]! < end) {
      const i = visual[cursor++]!;
      const info = tokenInfo(layout, i);
      keep.push(row + (i - image.start));
      mrope.push([s, s + info.row, s + info.col]);
    }
    let extent = 0;
    for (const v of image.views) extent = Math.max(extent, v.rows, v.cols + (v.newlineAfterRow ? 1 : 0));
    next = s + extent;
    row += image.length;
    length += image.length;
  }
  if (layout.positionScheme === 'mrope') {
    return { length, keep, visual, positions: { scheme: 'mrope', ids: mrope }, nextPosition: next };
  }
  return {
    length,
    keep,
    visual,
    positions: { scheme: 'sequential', ids: keep.map((_, j) => j) },
    nextPosition: keep.length,
  };
}

/**
 * Position ids of the visual tokens that stay when the images form the whole input (no text): what
 * `resprune select --config … --json` prints as `positions`. LLaVA: 0 … K − 1; Qwen: the original
 * (t, h, w) ids.
 *
 * @param layout - the layout
 * @param kept - selected visual token indices
 * @param options - newline rule and minimum-tokens guard
 * @returns the visual tokens that stay (after the newline rule) and one position per token
 * @throws {@link @resprune/errors!ResPruneError} as {@link compact} does
 * @example
 * ```ts
 * const { visual, positions } = visualPositions(layout, kept);
 * JSON.stringify({ kept: visual, positions: positionsToJson(positions) });
 * ```
 */
export function visualPositions(
  layout: VisualLayout,
  kept: ArrayLike<number>,
  options: Omit<CompactOptions, 'prompt'> = {},
): { readonly visual: readonly number[]; readonly positions: PositionIds } {
  const out = compact(layout, kept, options);
  return { visual: out.visual, positions: out.positions };
}

/**
 * JSON form of position ids: a list of numbers (`sequential`) or of `[t, h, w]` triples (`mrope`).
 *
 * @param positions - position ids
 * @returns a plain array
 * @example
 * ```ts
 * positionsToJson({ scheme: 'sequential', ids: [0, 1] }); // [0, 1]
 * ```
 */
export function positionsToJson(positions: PositionIds): number[] | number[][] {
  return positions.scheme === 'mrope' ? positions.ids.map((p) => [p[0], p[1], p[2]]) : [...positions.ids];
}

/**
 * Splits a tokenised prompt into {@link PromptPart}s by its image placeholder tokens, checking that
 * each image has exactly as many placeholders as the layout says (the processor's count).
 *
 * @param ids - the token ids of the full prompt (`input_ids`)
 * @param imageTokenId - the image placeholder id (LLaVA `image_token_index`, Qwen `image_token_id`)
 * @param layout - the layout of the prompt's images, in order
 * @returns the prompt parts
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when the placeholders and the layout
 *   disagree
 * @example
 * ```ts
 * const prompt = promptFromInputIds(inputIds, 32000, layout);
 * const out = compact(layout, kept, { prompt });
 * ```
 */
export function promptFromInputIds(ids: ArrayLike<number>, imageTokenId: number, layout: VisualLayout): PromptPart[] {
  const parts: PromptPart[] = [];
  let text = 0;
  let image = 0;
  let i = 0;
  while (i < ids.length) {
    if (ids[i] !== imageTokenId) {
      text++;
      i++;
      continue;
    }
    if (text > 0) parts.push({ text });
    text = 0;
    const img = layout.images[image];
    let run = 0;
    while (i + run < ids.length && ids[i + run] === imageTokenId) run++;
    if (img === undefined) {
      throw new ResPruneError(
        'E_SHAPE_MISMATCH',
        `the prompt has more image placeholders (id ${imageTokenId}) than the ${layout.images.length} images of the layout`,
      );
    }
    if (run < img.length) {
      throw new ResPruneError(
        'E_SHAPE_MISMATCH',
        `image ${image} has ${run} placeholder tokens in the prompt but the ${layout.backbone} layout expects ${img.length}; check the image size and the processor config`,
      );
    }
    parts.push({ image });
    image++;
    i += img.length;
  }
  if (text > 0) parts.push({ text });
  if (image !== layout.images.length) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `the prompt places ${image} images but the layout has ${layout.images.length}`,
    );
  }
  return parts;
}
