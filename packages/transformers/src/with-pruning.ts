import { ResPruneError } from '@resprune/errors';
import { validateBudget, type Budget, type BudgetPolicy, type NewlinePolicy } from '@resprune/backbones';
import { methods, selectWith, type MethodOptions } from '@resprune/selector';
import { fromTokenizerJson, type WordTokenizer } from '@resprune/text';
import { Tensor } from '@huggingface/transformers';
import { familyFor } from './families.js';
import { prunePrefill, type PrefillSettings, type PruneReport } from './prune.js';
import type { ModelInputs, ModelOutputs, TjsTensor, TjsTokenizerLike, VisionLanguageModel } from './tjs.js';

/**
 * Options of {@link withPruning}. Every key other than those listed here is passed to the selection
 * method as a method option (for example `cdpruner`'s `relevance`), and the selector rejects keys it
 * does not know.
 * @example
 * ```ts
 * const options: PruningOptions = { budget: { ratio: 0.25 }, tokenizer: processor.tokenizer, alpha: 0.5 };
 * ```
 */
export interface PruningOptions {
  /** Visual-token budget: `{ keep }`, `{ ratio }` or `{ energy, minKeep?, maxKeep? }`, or a plain integer (keep). */
  readonly budget: Budget | number;
  /**
   * The tokenizer that maps prompt words to token ids: the model's transformers.js tokenizer (or
   * its processor, which holds one), or any `@resprune/text` `WordTokenizer`.
   */
  readonly tokenizer: TjsTokenizerLike | { readonly tokenizer: TjsTokenizerLike } | (WordTokenizer & { decode?: unknown });
  /** Selection method registered in `@resprune/selector` (default `resprune`). */
  readonly method?: string;
  /** ResPrune's text-relevance exponent α (docs/guide/method.md#2-weights); passed to the method. */
  readonly alpha?: number;
  /** How the budget is split inside an image (default: the adapter's). */
  readonly policy?: BudgetPolicy;
  /** Row-separator rule (LLaVA-NeXT only; default: the adapter's). */
  readonly newlines?: NewlinePolicy;
  /** Fewest tokens kept per image. */
  readonly minTokens?: number;
  /** Further method options. */
  readonly [methodOption: string]: unknown;
}

/**
 * Options of one generation on a {@link PrunedModel}: transformers.js' own generation options and
 * processor outputs, plus `prompt`, the user's question without chat-template markup, whose nouns
 * condition the selection (default: the decoded text tokens of `input_ids`).
 * @example
 * ```ts
 * await pruned.generate({ ...inputs, prompt: 'What is the dog doing?', max_new_tokens: 32 });
 * ```
 */
export type PrunedGenerateOptions = ModelInputs & { readonly prompt?: string };

/**
 * A transformers.js model whose prefill runs on the pruned sequence. It delegates everything to
 * the wrapped model (sessions, config, `dispose`), overriding `forward` and `generate` only.
 * @example
 * ```ts
 * const pruned: PrunedModel<typeof model> = withPruning(model, { budget: 64, tokenizer: processor });
 * ```
 */
export type PrunedModel<M extends VisionLanguageModel = VisionLanguageModel> = M & {
  /** The report of the last pruned prefill of this wrapper (undefined before the first). */
  readonly lastPrune: PruneReport | undefined;
  /** The wrapped model, unchanged. */
  readonly unpruned: M;
  /** Runs `generate` with a per-call prompt (same as `generate({ ...options, prompt })`). */
  generate(options: PrunedGenerateOptions): Promise<unknown>;
};

const OWN_KEYS = new Set(['budget', 'tokenizer', 'method', 'policy', 'newlines', 'minTokens']);
const POLICIES: readonly string[] = ['global', 'per-view', 'per-crop'];
const NEWLINES: readonly string[] = ['drop', 'keep', 'keep-rows', 'select'];

/** transformers.js models, processors and tokenizers are callable objects (functions). */
function isObject(x: unknown): x is Record<string, unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null;
}

function resolveTokenizer(t: unknown): { words: WordTokenizer; decode: (ids: number[]) => string } {
  const inner = isObject(t) && isObject(t['tokenizer']) ? t['tokenizer'] : t;
  if (isObject(inner) && '_tokenizerJSON' in inner) {
    const tjs = inner as unknown as TjsTokenizerLike;
    const words = fromTokenizerJson(tjs._tokenizerJSON);
    return { words, decode: (ids) => tjs.decode(ids, { skip_special_tokens: true }) };
  }
  if (isObject(inner) && typeof inner['encodeWord'] === 'function') {
    const words = inner as unknown as WordTokenizer & { decode?: (ids: number[], o?: unknown) => string };
    if (typeof words.decode !== 'function') {
      throw new ResPruneError('E_TOKENIZER', 'withPruning: a WordTokenizer needs decode(ids) too, to read the prompt when generate() gets no prompt');
    }
    const decode = words.decode.bind(words);
    return { words, decode: (ids) => decode(ids, { skipSpecialTokens: true }) };
  }
  throw new ResPruneError(
    'E_TOKENIZER',
    'withPruning: options.tokenizer must be the model\'s transformers.js tokenizer, its processor, or a @resprune/text Tokenizer',
  );
}

function resolveSettings(options: PruningOptions): PrefillSettings {
  if (typeof options !== 'object' || options === null) {
    throw new ResPruneError('E_INVALID_OPTION', 'withPruning: options { budget, tokenizer } are required');
  }
  const method = options.method ?? 'resprune';
  if (typeof method !== 'string') throw new ResPruneError('E_INVALID_OPTION', 'withPruning: method must be a string');
  methods.get(method); // E_UNKNOWN_METHOD, listing the registered ones
  const raw = options.budget;
  if (raw === undefined) throw new ResPruneError('E_BUDGET', 'withPruning: options.budget is required ({ keep }, { ratio }, { energy } or an integer)');
  const budget = validateBudget(typeof raw === 'number' ? { keep: raw } : raw);
  if (options.policy !== undefined && !POLICIES.includes(options.policy)) {
    throw new ResPruneError('E_INVALID_OPTION', `withPruning: policy must be one of ${POLICIES.join(', ')}; got ${JSON.stringify(options.policy)}`);
  }
  if (options.newlines !== undefined && !NEWLINES.includes(options.newlines)) {
    throw new ResPruneError('E_INVALID_OPTION', `withPruning: newlines must be one of ${NEWLINES.join(', ')}; got ${JSON.stringify(options.newlines)}`);
  }
  if (options.minTokens !== undefined && (!Number.isInteger(options.minTokens) || options.minTokens < 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `withPruning: minTokens must be an integer >= 0; got ${String(options.minTokens)}`);
  }
  const { words, decode } = resolveTokenizer(options.tokenizer);
  const methodOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!OWN_KEYS.has(k) && v !== undefined) methodOptions[k] = v;
  // Unknown or out-of-range method options fail now, not at the first generation.
  selectWith(method, { data: Float32Array.from([1, 0, 0, 1]), shape: [2, 2] }, { ...methodOptions, keep: 1 });
  return {
    method,
    budget,
    methodOptions: methodOptions as MethodOptions,
    policy: options.policy,
    newlines: options.newlines,
    minTokens: options.minTokens,
    tokenizer: words,
    decode,
  };
}

const STATE = Symbol('resprune.call');
/** What one generate() call passes to its prefill. */
interface CallState {
  readonly prompt: string | undefined;
  /** The family's `carryInputs` from the generate() options (absent keys left out). */
  readonly carried: ModelInputs;
}

function cacheLength(past: unknown): number {
  if (past === undefined || past === null) return 0;
  const p = past as { get_seq_length?: () => number };
  return typeof p.get_seq_length === 'function' ? p.get_seq_length() : 0;
}

/** Qwen M-RoPE text-only prefill: HF's rope_deltas, max(position) + 1 − L per row. */
function textOnlyRopeDeltas(positionIds: TjsTensor): unknown {
  const [, batch, L] = positionIds.dims as [number, number, number];
  const out = new BigInt64Array(batch);
  for (let b = 0; b < batch; b++) {
    let max = -Infinity;
    for (let k = 0; k < 3; k++) for (let i = 0; i < L; i++) max = Math.max(max, Number(positionIds.data[(k * batch + b) * L + i]));
    out[b] = BigInt(max + 1 - L);
  }
  return new Tensor('int64', out, [batch, 1]);
}

/**
 * Wraps a loaded transformers.js vision-language model so its generation runs on a pruned visual
 * sequence. At the prefill the wrapper embeds the prompt (`embed_tokens`), encodes the images
 * (`vision_encoder`, after projector/merger), selects visual tokens with `@resprune/selector`
 * conditioned on the prompt's nouns (embedded with the model's own `embed_tokens`), and hands the
 * decoder only the text rows and the kept image features, with positions from the family's backbone
 * adapter: Qwen2-VL/Qwen2.5-VL keep their original M-RoPE (t, h, w) ids and `rope_deltas` makes
 * decoding continue at the original max position + 1; LLaVA and SmolVLM/Idefics3 positions are
 * contiguous. SmolVLM/Idefics3 prune per crop: only pruned `<image>` placeholders leave, the
 * `<fake_token_around_image>`, `<row_r_col_c>` and `<global-img>` markers stay; the crop grid comes
 * from the processor's `rows`/`cols` outputs (pass the processor's outputs to `generate` or
 * `forward` as they are). Decoding steps are transformers.js' own. The wrapped model is left unchanged.
 *
 * Text-only prompts on Qwen models pass through unpruned, but decode with HF's `rope_deltas`
 * (max + 1 − L) rather than transformers.js 4.3's (max + 1 + L).
 *
 * @param model - a model from `AutoModelForImageTextToText.from_pretrained` (or a family class);
 *   `model_type` one of `qwen2_vl`, `qwen2_5_vl`, `llava`, `smolvlm`, `idefics3`
 * @param options - budget, tokenizer, method and method options
 * @returns a {@link PrunedModel} delegating to `model`
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` (unsupported `model_type`),
 *   `E_BACKBONE_CONFIG` (a config field missing), `E_BUDGET`, `E_UNKNOWN_METHOD`, `E_TOKENIZER`,
 *   `E_INVALID_OPTION`; at generation, `E_INVALID_OPTION` (batch > 1, padding, video inputs, SmolVLM
 *   inputs without the processor's `rows`/`cols`),
 *   `E_SHAPE_MISMATCH` (image placeholders and features disagree), `E_MODEL` (an ONNX session failed)
 *   and the selector's errors
 * @example
 * ```ts
 * import { AutoModelForImageTextToText, AutoProcessor, RawImage } from '@huggingface/transformers';
 * import { withPruning } from '@resprune/transformers';
 *
 * const model = await AutoModelForImageTextToText.from_pretrained('onnx-community/Qwen2-VL-2B-Instruct');
 * const processor = await AutoProcessor.from_pretrained('onnx-community/Qwen2-VL-2B-Instruct');
 * const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
 * const inputs = await processor(text, await RawImage.read('dog.jpg'));
 * const ids = await pruned.generate({ ...inputs, prompt: 'What is the dog doing?', max_new_tokens: 32 });
 * ```
 */
export function withPruning<M extends VisionLanguageModel>(model: M, options: PruningOptions): PrunedModel<M> {
  if (!isObject(model) || typeof model.forward !== 'function' || typeof model.config !== 'object') {
    throw new ResPruneError('E_INVALID_OPTION', 'withPruning: model must be a loaded transformers.js model');
  }
  const family = familyFor(model.config);
  family.adapter(model.config); // config errors now, not at the first generate
  family.imageTokenId(model.config);
  for (const name of ['embed_tokens', 'vision_encoder', 'decoder_model_merged']) {
    if (model.sessions?.[name] === undefined) {
      throw new ResPruneError('E_MODEL', `withPruning: the model has no ${name} session; load it with AutoModelForImageTextToText (not a text-only class)`);
    }
  }
  const settings = resolveSettings(options);
  const original = {
    forward: model.forward,
    generate: model.generate,
  };
  let last: PruneReport | undefined;

  const wrapper = Object.create(model) as PrunedModel<M> & { [STATE]?: CallState };
  Object.defineProperties(wrapper, {
    lastPrune: { get: () => last, enumerable: true },
    unpruned: { value: model, enumerable: true },
    forward: {
      value: async function forward(this: PrunedModel<M> & { [STATE]?: CallState }, inputs: ModelInputs): Promise<ModelOutputs> {
        const ids = inputs['input_ids'] as TjsTensor | undefined;
        const prefill = ids !== undefined && ids !== null && ids.dims[1]! > 1 && cacheLength(inputs['past_key_values']) === 0;
        const pixels = inputs['pixel_values'];
        if (!prefill || pixels === undefined || pixels === null) {
          if (prefill && this[STATE] !== undefined && family.positionScheme === 'mrope' && inputs['position_ids'] && inputs['rope_deltas']) {
            // Text-only Qwen prefill inside generate(): HF's rope_deltas (max + 1 − L), not
            // transformers.js 4.3's (max + 1 + L), so decoding continues at max + 1.
            inputs['rope_deltas'] = textOnlyRopeDeltas(inputs['position_ids'] as TjsTensor);
          }
          return original.forward.call(this, inputs);
        }
        const state = this[STATE];
        const own = inputs['prompt'];
        if (own !== undefined && typeof own !== 'string') {
          throw new ResPruneError('E_INVALID_OPTION', 'withPruning: forward({ prompt }) must be a string');
        }
        const prefillInputs = state === undefined ? inputs : { ...state.carried, ...inputs };
        const pruned = await prunePrefill(model, prefillInputs, settings, state?.prompt ?? own);
        last = pruned.report;
        if (state !== undefined) {
          // Inside generate(), which keeps this object between steps: the mask it extends and the
          // rope_deltas Qwen's decoding positions come from must be those of the pruned sequence.
          // (A direct forward() call leaves the caller's inputs alone.)
          inputs['attention_mask'] = pruned.attentionMask;
          if (pruned.ropeDeltas !== undefined) inputs['rope_deltas'] = pruned.ropeDeltas;
        }
        const { input_ids: _ids, pixel_values: _pixels, prompt: _prompt, ...rest } = inputs;
        return original.forward.call(this, {
          ...rest,
          inputs_embeds: pruned.inputsEmbeds,
          attention_mask: pruned.attentionMask,
          position_ids: pruned.positionIds,
        });
      },
    },
    generate: {
      value: async function generate(this: PrunedModel<M>, generateOptions: PrunedGenerateOptions): Promise<unknown> {
        const { prompt, ...rest } = generateOptions ?? {};
        if (prompt !== undefined && typeof prompt !== 'string') {
          throw new ResPruneError('E_INVALID_OPTION', 'withPruning: generate({ prompt }) must be a string');
        }
        const call = Object.create(this) as PrunedModel<M> & { [STATE]: CallState };
        const carried: ModelInputs = {};
        for (const key of family.carryInputs ?? []) if ((rest as ModelInputs)[key] !== undefined) carried[key] = (rest as ModelInputs)[key];
        call[STATE] = { prompt, carried };
        return original.generate.call(call, rest);
      },
    },
  });
  return wrapper;
}
