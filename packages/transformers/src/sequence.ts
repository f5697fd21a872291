import { ResPruneError } from '@resprune/errors';
import {
  promptFromInputIds,
  type BackboneAdapter,
  type CompactedInput,
  type CompactOptions,
  type PromptPart,
  type VisualLayout,
} from '@resprune/backbones';

/**
 * How a family's image placeholders sit in the prompt: `image` (one run of placeholders per image:
 * Qwen, LLaVA) or `view` (one run per view of the layout, with text between them: Idefics3/SmolVLM
 * put `<fake_token_around_image>`, `<row_r_col_c>` and newlines between the tiles of an image).
 * @internal
 */
export type PlaceholderRuns = 'image' | 'view';

/**
 * A prompt's rows as the backbone adapter sees them: the parts `compact` takes, and where each of
 * their rows sits in the real sequence.
 * @internal
 */
export interface PromptSequence {
  /** Per image: the row of its first placeholder and its placeholder count. */
  readonly imageSpans: ReadonlyArray<{ readonly start: number; readonly length: number }>;
  /**
   * The adapter's compaction of a selection, in rows of the real sequence (ascending), with the
   * adapter's positions for them.
   */
  compact(adapter: BackboneAdapter, layout: VisualLayout, kept: readonly number[], options: Omit<CompactOptions, 'prompt'>): CompactedInput;
}

/** Maximal runs of `token` in `ids`: [start, length]. */
function runsOf(ids: readonly number[], token: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== token) continue;
    let j = i;
    while (j < ids.length && ids[j] === token) j++;
    runs.push([i, j - i]);
    i = j - 1;
  }
  return runs;
}

/**
 * Reads the prompt against the layout. With `image` runs, each image's placeholders are one run
 * (`promptFromInputIds`). With `view` runs, the runs of placeholders must be the layout's views in
 * order (one run per tile, of the tile's length); the adapter then compacts the images as if their
 * placeholders were contiguous after all the text, and each row is mapped back to its place. That is
 * exact for `sequential` positions (0 … L′−1 over the rows that stay, in order), the only scheme
 * such families use.
 * @param ids - the prompt ids (batch 1)
 * @param imageTokenId - the placeholder id
 * @param layout - the layout of the prompt's images
 * @param runs - how the family places placeholders
 * @returns the prompt sequence
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when the placeholders and the layout disagree
 * @internal
 */
export function promptSequence(ids: readonly number[], imageTokenId: number, layout: VisualLayout, runs: PlaceholderRuns): PromptSequence {
  if (runs === 'image') {
    const prompt: PromptPart[] = promptFromInputIds(ids, imageTokenId, layout);
    const imageSpans: Array<{ start: number; length: number }> = [];
    let row = 0;
    for (const part of prompt) {
      if ('text' in part) row += part.text;
      else {
        const length = layout.images[part.image]!.length;
        imageSpans.push({ start: row, length });
        row += length;
      }
    }
    return {
      imageSpans,
      compact: (adapter, l, kept, options) => adapter.compact(l, kept, { ...options, prompt }),
    };
  }

  const found = runsOf(ids, imageTokenId);
  const views = layout.views;
  const mismatch = found.length !== views.length || found.some(([, length], i) => length !== views[i]!.length);
  if (mismatch) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `the prompt's image placeholders (id ${imageTokenId}) form runs of [${found.map(([, n]) => n).join(', ')}] but the ${layout.backbone} layout of these images has tiles of [${views.map((v) => v.length).join(', ')}]; check the images and the processor's rows/cols`,
      { details: { runs: found.map(([, n]) => n), tiles: views.map((v) => v.length) } },
    );
  }
  // Rows of the real sequence: text rows in order, then placeholder rows in order (= visual index).
  const textRows: number[] = [];
  const visualRows: number[] = [];
  for (let r = 0; r < ids.length; r++) (ids[r] === imageTokenId ? visualRows : textRows).push(r);
  const imageSpans = layout.images.map((image) => ({ start: visualRows[image.start]!, length: image.length }));
  const T = textRows.length;
  const prompt: PromptPart[] = [...(T > 0 ? [{ text: T }] : []), ...layout.images.map((_, image) => ({ image }))];
  return {
    imageSpans,
    compact(adapter, l, kept, options) {
      if (adapter.positionScheme !== 'sequential') {
        throw new ResPruneError('E_INTERNAL', `withPruning: placeholders split by view need sequential positions; ${adapter.id} uses ${adapter.positionScheme}`);
      }
      const virtual = adapter.compact(l, kept, { ...options, prompt });
      const keep = virtual.keep.map((v) => (v < T ? textRows[v]! : visualRows[v - T]!)).sort((a, b) => a - b);
      // Sequential ids number the rows that stay in order; the adapter gave 0 … L′−1 for them.
      return { ...virtual, keep, positions: virtual.positions };
    },
  };
}
