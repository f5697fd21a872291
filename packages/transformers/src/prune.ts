import { ResPruneError, isResPruneError } from '@resprune/errors';
import { type Budget, type BudgetPolicy, type NewlinePolicy, type PositionIds } from '@resprune/backbones';
import { selectWith, type MethodOptions } from '@resprune/selector';
import { embedWords, extractKeywords, type KeywordSource, type WordTokenizer } from '@resprune/text';
import { Tensor } from '@huggingface/transformers';
import { familyFor, positionRows } from './families.js';
import { promptSequence } from './sequence.js';
import type { ModelInputs, TjsTensor, VisionLanguageModel } from './tjs.js';

/** Settings of one pruned prefill, resolved from {@link PruningOptions}. */
export interface PrefillSettings {
  readonly method: string;
  readonly budget: Budget;
  readonly methodOptions: MethodOptions;
  readonly policy: BudgetPolicy | undefined;
  readonly newlines: NewlinePolicy | undefined;
  readonly minTokens: number | undefined;
  readonly tokenizer: WordTokenizer;
  readonly decode: (ids: number[]) => string;
}

/** Milliseconds spent in each part of a pruned prefill (before the decoder runs). * @example
 * ```ts
 * const { visionMs, selectMs } = pruned.lastPrune!.timings;
 * ```
 */
export interface PruneTimings {
  /** `embed_tokens` over the full prompt. */
  readonly embedMs: number;
  /** `vision_encoder` (with projector/merger). */
  readonly visionMs: number;
  /** Prompt nouns → token ids → `embed_tokens` rows → text vectors. */
  readonly textMs: number;
  /** Budget plan, selection and compaction. */
  readonly selectMs: number;
  /** Gathering the kept rows into `inputs_embeds` and building positions. */
  readonly assembleMs: number;
}

/**
 * What one pruned prefill did: the full prompt, the kept visual tokens and rows, the positions the
 * decoder got, the words that conditioned the selection and the timings. `inputsEmbeds` is the
 * exact `[L', hidden]` matrix (float32) the decoder received.
 * @example
 * ```ts
 * const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor.tokenizer });
 * await pruned.generate({ ...inputs, max_new_tokens: 16 });
 * const r = pruned.lastPrune!;
 * console.log(r.visualTokensBefore, '→', r.visualTokensAfter, r.words);
 * ```
 */
export interface PruneReport {
  /** The transformers.js `model_type`. */
  readonly modelType: string;
  /** Selection method. */
  readonly method: string;
  /** The budget as configured. */
  readonly budget: Budget;
  /** Prompt ids with the image placeholders expanded (before pruning), length L. */
  readonly inputIds: number[];
  /**
   * Per image: where its placeholders start in `inputIds` and how many there are (one run for Qwen
   * and LLaVA; for Idefics3/SmolVLM, one run per tile with marker tokens between them, so the image
   * covers more rows than `length`).
   */
  readonly imageSpans: ReadonlyArray<{ readonly start: number; readonly length: number }>;
  /** Kept visual token indices (over all images, in prompt order), ascending. */
  readonly kept: number[];
  /** Rows of the full sequence that reach the decoder (length L'), ascending. */
  readonly keep: number[];
  /** Visual tokens produced by the vision encoder. */
  readonly visualTokensBefore: number;
  /** Visual tokens that reach the decoder. */
  readonly visualTokensAfter: number;
  /** L. */
  readonly sequenceLengthBefore: number;
  /** L'. */
  readonly sequenceLengthAfter: number;
  /** Position ids given to the decoder: `[L']` (sequential) or `[3, L']` rows t, h, w (M-RoPE). */
  readonly positionIds: number[] | number[][];
  /** The first decoding position (original max position + 1 for M-RoPE, L' for sequential). */
  readonly nextPosition: number;
  /** M-RoPE: `nextPosition − L'`, the `rope_deltas` transformers.js adds while decoding. */
  readonly ropeDelta: number | undefined;
  /** The words that conditioned the selection and where they came from. */
  readonly words: string[];
  /** Where `words` came from: `nouns`, `content-words` or `none` (no conditioning). */
  readonly wordSource: KeywordSource;
  /** The `[L', hidden]` input embeddings (float32, row-major) given to the decoder. */
  readonly inputsEmbeds: Float32Array;
  /** The hidden size. */
  readonly hidden: number;
  /** Timings of the pruning steps. */
  readonly timings: PruneTimings;
}

/** The decoder inputs of a pruned prefill, plus its report. */
export interface PrunedPrefill {
  readonly inputsEmbeds: TjsTensor;
  readonly attentionMask: TjsTensor;
  readonly positionIds: TjsTensor;
  readonly ropeDeltas: TjsTensor | undefined;
  readonly report: PruneReport;
}

const now = (): number => performance.now();

function asFloat32(t: TjsTensor): Float32Array {
  const f = t.type === 'float32' ? t : t.to('float32');
  if (!(f.data instanceof Float32Array)) {
    throw new ResPruneError('E_DTYPE', `withPruning: expected float data, got a ${t.type} tensor`);
  }
  return f.data;
}

/** Runs a transformers.js session call, turning a foreign failure into `E_MODEL`. */
async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (isResPruneError(cause)) throw cause;
    throw new ResPruneError('E_MODEL', `withPruning: ${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Input ids of a batch-1, unpadded forward call, as numbers. */
export function promptIds(inputs: ModelInputs): number[] {
  const ids = inputs['input_ids'] as TjsTensor | undefined;
  if (ids === undefined || ids === null || !Array.isArray(ids.dims) || ids.dims.length !== 2) {
    throw new ResPruneError('E_INVALID_OPTION', 'withPruning: a prefill with images needs input_ids [1, L] (from the processor)');
  }
  if (ids.dims[0] !== 1) {
    throw new ResPruneError('E_INVALID_OPTION', `withPruning: prunes one prompt at a time (batch 1); input_ids is [${ids.dims.join(', ')}]`, {
      details: { dims: [...ids.dims] },
    });
  }
  const mask = inputs['attention_mask'] as TjsTensor | undefined | null;
  if (mask !== undefined && mask !== null) {
    for (let i = 0; i < mask.data.length; i++) {
      if (Number(mask.data[i]) !== 1) {
        throw new ResPruneError('E_INVALID_OPTION', 'withPruning: attention_mask has padding (a 0); prune one unpadded prompt at a time');
      }
    }
  }
  return Array.from(ids.data, (x) => Number(x));
}

/**
 * Text vectors of the prompt's keywords from the model's own `embed_tokens` session: nouns (or
 * content words) → token ids through the tokenizer → rows of the embedding table → per-word means.
 */
async function promptVectors(
  model: VisionLanguageModel,
  text: string,
  tokenizer: WordTokenizer,
): Promise<{ words: string[]; source: KeywordSource; vectors: Float32Array; m: number; d: number }> {
  const { words, source } = extractKeywords(text);
  if (words.length === 0) return { words, source, vectors: new Float32Array(0), m: 0, d: 0 };
  const unique = [...new Set(words.flatMap((w) => tokenizer.encodeWord(w)))].filter((id) => Number.isInteger(id) && id >= 0);
  const vocabSize = vocabSizeOf(model.config);
  const beyond = vocabSize === undefined ? undefined : unique.find((id) => id >= vocabSize);
  if (beyond !== undefined) {
    throw new ResPruneError(
      'E_TOKENIZER',
      `withPruning: ${tokenizer.name} gave token id ${beyond} but the model's vocabulary has ${vocabSize} ids; do the tokenizer and the model belong together?`,
      { details: { id: beyond, vocabSize: vocabSize ?? null } },
    );
  }
  const rowsOf = new Map<number, Float32Array>();
  if (unique.length > 0) {
    const ids = new Tensor('int64', BigInt64Array.from(unique.map((id) => BigInt(id))), [1, unique.length]);
    const table = await run('embed_tokens (prompt words)', () => model.encode_text({ input_ids: ids }));
    const data = asFloat32(table);
    const d = table.dims.at(-1)!;
    unique.forEach((id, i) => rowsOf.set(id, data.slice(i * d, (i + 1) * d)));
  }
  const lookup = (id: number): Float32Array => {
    const row = rowsOf.get(id);
    if (row === undefined) throw new ResPruneError('E_INTERNAL', `withPruning: no embedding row read for token ${id}`);
    return row;
  };
  const wv = embedWords(words, { tokenizer, embeddings: lookup });
  return { words: wv.words, source, vectors: wv.vectors, m: wv.m, d: wv.d };
}

/** The LLM vocabulary size from config.json (top level or `text_config`), when present. */
function vocabSizeOf(config: Readonly<Record<string, unknown>>): number | undefined {
  const text = config['text_config'] as Record<string, unknown> | undefined;
  const v = config['vocab_size'] ?? text?.['vocab_size'];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * The pruned prefill: embeds the full prompt, encodes the images, selects visual tokens with the
 * prompt's text vectors under the budget plan of the family's backbone adapter, and gathers the
 * kept rows (text rows and the kept image features, nothing else) with their positions.
 * @param model - the transformers.js model (batch 1)
 * @param inputs - the forward inputs of the prefill: `input_ids`, `pixel_values`, `image_grid_thw`, …
 * @param settings - method, budget and tokenizer
 * @param promptText - the words to condition on (default: the decoded text tokens of the prompt)
 * @returns decoder inputs and the report
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` (batch > 1, padding, video),
 *   `E_SHAPE_MISMATCH` (placeholders ≠ features), `E_MODEL` (a session failed), and what the
 *   selector and adapters throw
 * @internal
 */
export async function prunePrefill(
  model: VisionLanguageModel,
  inputs: ModelInputs,
  settings: PrefillSettings,
  promptText: string | undefined,
): Promise<PrunedPrefill> {
  const config = model.config as Record<string, unknown> & { model_type?: string };
  const family = familyFor(config);
  const adapter = family.adapter(config);
  const imageTokenId = family.imageTokenId(config);
  const ids = promptIds(inputs);
  const L = ids.length;

  let t = now();
  const embedsT = await run('embed_tokens', () => model.encode_text({ input_ids: inputs['input_ids'] }));
  const embedMs = now() - t;
  t = now();
  const featuresT = await run('vision_encoder', () => model.encode_image(inputs));
  const visionMs = now() - t;

  const hidden = embedsT.dims.at(-1)!;
  const featHidden = featuresT.dims.at(-1)!;
  if (featHidden !== hidden) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `withPruning: image features have ${featHidden} channels but the text embeddings ${hidden}`);
  }
  const features = asFloat32(featuresT);
  const embeds = asFloat32(embedsT);
  const N = features.length / hidden;

  const layout = adapter.layout(family.imageSizes(config, inputs, featuresT));
  if (layout.tokens !== N) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `withPruning: the vision encoder gave ${N} visual tokens but the ${adapter.id} layout of these images has ${layout.tokens}`,
      { details: { features: N, layout: layout.tokens } },
    );
  }
  const sequence = promptSequence(ids, imageTokenId, layout, family.placeholderRuns ?? 'image');

  t = now();
  const text = promptText ?? settings.decode(ids.filter((id) => id !== imageTokenId));
  const tv = await promptVectors(model, text, settings.tokenizer);
  const textMs = now() - t;

  t = now();
  const plan = adapter.plan(layout, settings.budget, {
    ...(settings.policy === undefined ? {} : { policy: settings.policy }),
    ...(settings.newlines === undefined ? {} : { newlines: settings.newlines }),
    ...(settings.minTokens === undefined ? {} : { minTokens: settings.minTokens }),
  });
  const kept: number[] = [];
  for (const unit of plan.units) {
    const rows = new Float32Array(unit.candidates.length * hidden);
    unit.candidates.forEach((c, i) => rows.set(features.subarray(c * hidden, (c + 1) * hidden), i * hidden));
    const result = selectWith(settings.method, { data: rows, shape: [unit.candidates.length, hidden] }, {
      ...settings.methodOptions,
      ...unit.budget,
      ...(tv.m > 0 ? { text: { data: tv.vectors, shape: [tv.m, hidden] } } : {}),
    });
    for (const local of result.kept) kept.push(unit.candidates[local]!);
  }
  kept.sort((a, b) => a - b);
  const compacted = sequence.compact(adapter, layout, kept, {
    ...(settings.newlines === undefined ? {} : { newlines: settings.newlines }),
    ...(settings.minTokens === undefined ? {} : { minTokens: settings.minTokens }),
  });
  const selectMs = now() - t;

  t = now();
  const keep = [...compacted.keep];
  const Lp = keep.length;
  // Visual index of every placeholder row of the full sequence.
  const visualOf = new Int32Array(L).fill(-1);
  let v = 0;
  for (let r = 0; r < L; r++) if (ids[r] === imageTokenId) visualOf[r] = v++;
  const imageSpans = sequence.imageSpans;
  const out = new Float32Array(Lp * hidden);
  keep.forEach((r, i) => {
    const vi = visualOf[r]!;
    out.set(vi >= 0 ? features.subarray(vi * hidden, (vi + 1) * hidden) : embeds.subarray(r * hidden, (r + 1) * hidden), i * hidden);
  });
  const inputsEmbeds = new Tensor('float32', out, [1, Lp, hidden]) as unknown as TjsTensor;
  const typedEmbeds = embedsT.type === 'float32' ? inputsEmbeds : inputsEmbeds.to(embedsT.type);
  const attentionMask = new Tensor('int64', new BigInt64Array(Lp).fill(1n), [1, Lp]) as unknown as TjsTensor;
  const positions: PositionIds = compacted.positions;
  const rows = positionRows(compacted);
  let positionIds: TjsTensor;
  let ropeDeltas: TjsTensor | undefined;
  let ropeDelta: number | undefined;
  if (positions.scheme === 'mrope') {
    const flat = (rows as number[][]).flat();
    positionIds = new Tensor('int64', BigInt64Array.from(flat, (x) => BigInt(x)), [3, 1, Lp]) as unknown as TjsTensor;
    ropeDelta = compacted.nextPosition - Lp;
    ropeDeltas = new Tensor('int64', BigInt64Array.from([BigInt(ropeDelta)]), [1, 1]) as unknown as TjsTensor;
  } else {
    positionIds = new Tensor('int64', BigInt64Array.from(rows as number[], (x) => BigInt(x)), [1, Lp]) as unknown as TjsTensor;
  }
  const assembleMs = now() - t;

  return {
    inputsEmbeds: typedEmbeds,
    attentionMask,
    positionIds,
    ropeDeltas,
    report: {
      modelType: family.name,
      method: settings.method,
      budget: settings.budget,
      inputIds: ids,
      imageSpans,
      kept: [...compacted.visual],
      keep,
      visualTokensBefore: N,
      visualTokensAfter: compacted.visual.length,
      sequenceLengthBefore: L,
      sequenceLengthAfter: Lp,
      positionIds: rows,
      nextPosition: compacted.nextPosition,
      ropeDelta,
      words: tv.words,
      wordSource: tv.m > 0 ? tv.source : 'none',
      inputsEmbeds: out,
      hidden,
      timings: { embedMs, visionMs, textMs, selectMs, assembleMs },
    },
  };
}
