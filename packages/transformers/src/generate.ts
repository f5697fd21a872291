import { ResPruneError } from '@resprune/errors';
import type { Budget, BudgetPolicy } from '@resprune/backbones';
import { cat } from '@huggingface/transformers';
import { familyFor } from './families.js';
import { withPruning, type PruningOptions } from './with-pruning.js';
import type { ModelInputs, TjsTensor, VisionLanguageModel } from './tjs.js';

/**
 * A transformers.js processor (`AutoProcessor.from_pretrained`): callable, with the tokenizer and
 * image processor it holds.
 * @example
 * ```ts
 * const processor = (await AutoProcessor.from_pretrained(id)) as unknown as TjsProcessorLike;
 * ```
 */
export interface TjsProcessorLike {
  (...args: unknown[]): Promise<ModelInputs>;
  /** The model's tokenizer. */
  readonly tokenizer: ((text: string[]) => ModelInputs) & {
    readonly _tokenizerJSON: unknown;
    decode(ids: readonly (number | bigint)[], options?: { readonly skip_special_tokens?: boolean }): string;
  };
  /** The image processor. */
  readonly image_processor: (images: unknown) => Promise<ModelInputs>;
  /** Chat template of the tokenizer (when it has one). */
  apply_chat_template?(messages: unknown[], options?: Record<string, unknown>): string;
}

/**
 * One request of {@link generateWithPruning}, the contract of `resprune generate --engine
 * transformers`.
 * @example
 * ```ts
 * const request: PrunedGenerateRequest = { images: [image], question: 'What is the dog doing?', budget: { keep: 64 } };
 * ```
 */
export interface PrunedGenerateRequest {
  /** Images (transformers.js `RawImage`s), in prompt order. */
  readonly images: readonly unknown[];
  /** The user's question: its nouns condition the selection. */
  readonly question: string;
  /**
   * The full prompt with one image placeholder per image (`<|vision_start|><|image_pad|><|vision_end|>`
   * for Qwen, `<image>` for LLaVA and SmolVLM). Default: the processor's chat template applied to the images
   * and the question.
   */
  readonly text?: string;
  /** Visual-token budget; absent keeps every token (transformers.js' own result, bit for bit). */
  readonly budget?: Budget | number;
  /** Selection method (default `resprune`). */
  readonly method?: string;
  /** ResPrune's α. */
  readonly alpha?: number;
  /** Budget policy. */
  readonly policy?: BudgetPolicy;
  /** New tokens at most (default 32). */
  readonly maxNewTokens?: number;
}

/** Timings of one {@link generateWithPruning} call in milliseconds. * @example
 * ```ts
 * const { prefillMs, decodeMsPerToken } = (await generateWithPruning(model, processor, request)).timings;
 * ```
 */
export interface PrunedGenerateTimings {
  /** Processor: image resize/normalise and tokenisation. */
  readonly preprocessMs: number;
  /** `vision_encoder`. */
  readonly visionMs: number;
  /** Prompt embedding, text vectors, selection and assembly of the pruned inputs. */
  readonly selectionMs: number;
  /** The decoder's prefill over the pruned sequence, up to the first token. */
  readonly prefillMs: number;
  /** Mean time per generated token after the first (0 with fewer than 2 tokens). */
  readonly decodeMsPerToken: number;
  /** The whole call. */
  readonly totalMs: number;
}

/**
 * The JSON of `resprune generate --engine transformers --json`, plus the dumpable decoder inputs.
 * `inputsEmbeds` is a Float32Array (write it with `@resprune/npy`); everything else is plain JSON.
 * @example
 * ```ts
 * const r = await generateWithPruning(model, processor, request);
 * const { inputsEmbeds, ...json } = r;
 * console.log(JSON.stringify(json));
 * ```
 */
export interface PrunedGenerateResult {
  /** `transformers`. */
  readonly engine: 'transformers';
  /** The model's `model_type`. */
  readonly modelType: string;
  /** Prompt ids with image placeholders expanded (before pruning). */
  readonly inputIds: number[];
  /** Per image, where its placeholders start in `inputIds` and how many there are. */
  readonly imageSpans: ReadonlyArray<{ readonly start: number; readonly length: number }>;
  /** Kept visual token indices over all images, ascending. */
  readonly kept: number[];
  /** Rows of `inputIds` that reached the decoder, ascending. */
  readonly keep: number[];
  /** Generated ids (the stop token included when one was produced). */
  readonly generatedIds: number[];
  /** Decoded generated text (special tokens skipped). */
  readonly text: string;
  /** Why generation ended. */
  readonly stopReason: 'stop-token' | 'max-new-tokens';
  /** Words that conditioned the selection. */
  readonly words: string[];
  /** Counts before and after pruning, method and budget. */
  readonly report: {
    readonly visualTokensBefore: number;
    readonly visualTokensAfter: number;
    readonly sequenceLengthBefore: number;
    readonly sequenceLengthAfter: number;
    readonly method: string;
    readonly budget: Budget;
  };
  /** Timings. */
  readonly timings: PrunedGenerateTimings;
  /** Position ids given to the decoder: `[L']` (LLaVA) or `[3, L']` (Qwen t, h, w rows). */
  readonly positionIds: number[] | number[][];
  /** Shape of `inputsEmbeds`: `[L', hidden]`. */
  readonly inputsEmbedsShape: [number, number];
  /** The `[L', hidden]` inputs_embeds the decoder received (float32, row-major). */
  readonly inputsEmbeds: Float32Array;
}

const now = (): number => performance.now();

/**
 * The processor inputs of a prompt with its images, for any number of images: Qwen prompts go
 * through the image processor one image at a time (transformers.js 4.3's processor reads a list of
 * images as the frames of one video) and each `<|image_pad|>` is expanded by its own image's token
 * count; LLaVA prompts (one image) go through the processor as they are; SmolVLM/Idefics3 prompts
 * (one `<image>` per image) go through the processor with all their images.
 * @param model - the loaded model (its `model_type` and `vision_config` are read)
 * @param processor - its processor
 * @param text - the prompt with one image placeholder per image
 * @param images - the images (transformers.js `RawImage`s), in prompt order
 * @returns `input_ids`, `attention_mask`, `pixel_values`, (Qwen) `image_grid_thw`, (SmolVLM)
 *   `pixel_attention_mask`, `rows` and `cols`
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` (unsupported model),
 *   `E_SHAPE_MISMATCH` (placeholders ≠ images), `E_INVALID_OPTION` (several images for LLaVA)
 * @example
 * ```ts
 * const text = `<|im_start|>user\n${'<|vision_start|><|image_pad|><|vision_end|>'.repeat(2)}Compare them.<|im_end|>\n<|im_start|>assistant\n`;
 * const inputs = await prepareInputs(model, processor, text, [dog, horses]);
 * await withPruning(model, options).generate({ ...inputs, max_new_tokens: 32 });
 * ```
 */
export async function prepareInputs(
  model: VisionLanguageModel,
  processor: TjsProcessorLike,
  text: string,
  images: readonly unknown[],
): Promise<ModelInputs> {
  const family = familyFor(model.config).name;
  const visionConfig = model.config['vision_config'] as { spatial_merge_size?: number } | undefined;
  const mergeSize = visionConfig?.spatial_merge_size ?? 2;
  if (family === 'llava') {
    if (images.length !== 1) {
      throw new ResPruneError('E_INVALID_OPTION', `prepareInputs: LLaVA through transformers.js takes one image per prompt, got ${images.length}`);
    }
    return processor(images[0], text);
  }
  if (family === 'smolvlm' || family === 'idefics3') {
    // Idefics3Processor(text, images): every image of the one prompt in one list, each <image>
    // expanded to its crops and global tile, with the rows/cols the pruned prefill needs.
    const found = text.split('<image>').length - 1;
    if (found !== images.length) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `prepareInputs: the prompt has ${found} <image> placeholders for ${images.length} images`);
    }
    return processor(text, images.length === 1 ? images[0] : [...images]);
  }
  // Qwen: one image_processor call per image (transformers.js 4.3 reads a list as video frames),
  // each <|image_pad|> expanded to that image's token count, then one tokenizer call.
  const parts: ModelInputs[] = [];
  for (const image of images) parts.push(await processor.image_processor(image));
  const pad = '<|image_pad|>';
  const found = text.split(pad).length - 1;
  if (found !== images.length) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `prepareInputs: the prompt has ${found} ${pad} placeholders for ${images.length} images`);
  }
  let expanded = text;
  for (const p of parts) {
    const grid = p['image_grid_thw'] as TjsTensor;
    const n = Array.from(grid.data, Number).reduce((a, b) => a * b, 1) / (mergeSize * mergeSize);
    expanded = expanded.replace(pad, '\u0000'.repeat(n));
  }
  expanded = expanded.replaceAll('\u0000', pad);
  const join = (key: string): unknown => cat(parts.map((p) => p[key]) as never, 0);
  return { ...processor.tokenizer([expanded]), pixel_values: join('pixel_values'), image_grid_thw: join('image_grid_thw') };
}

function defaultText(family: string, processor: TjsProcessorLike, images: number, question: string): string {
  if (typeof processor.apply_chat_template !== 'function') {
    throw new ResPruneError('E_TOKENIZER', 'generateWithPruning: no request.text and the processor has no chat template');
  }
  const content = [...Array.from({ length: images }, () => ({ type: 'image' })), { type: 'text', text: question }];
  try {
    return processor.apply_chat_template([{ role: 'user', content }], { add_generation_prompt: true, tokenize: false });
  } catch (cause) {
    throw new ResPruneError('E_TOKENIZER', `generateWithPruning: the ${family} chat template failed; pass request.text`, { cause });
  }
}

/**
 * One pruned generation through transformers.js with everything `resprune generate --engine
 * transformers --json` prints: prompt ids, kept tokens, generated ids and text, timings, and the
 * exact decoder inputs (`inputsEmbeds` `[L', hidden]`, `positionIds`) for `--dump`. Greedy decoding.
 *
 * @param model - a loaded transformers.js Qwen2-VL, Qwen2.5-VL, LLaVA or SmolVLM/Idefics3 model
 * @param processor - its processor (`AutoProcessor.from_pretrained`)
 * @param request - images, question, budget
 * @returns the result; see {@link PrunedGenerateResult}
 * @throws {@link @resprune/errors!ResPruneError} everything {@link withPruning} throws, plus
 *   `E_INVALID_OPTION` (no images, bad maxNewTokens, several images for LLaVA), `E_SHAPE_MISMATCH`
 *   (placeholders ≠ images), `E_TOKENIZER` (no chat template and no `text`)
 * @example
 * ```ts
 * const r = await generateWithPruning(model, processor, {
 *   images: [await RawImage.read('dog.jpg')], question: 'What is the dog doing?', budget: { ratio: 0.25 },
 * });
 * console.log(r.report.visualTokensAfter, r.text);
 * ```
 */
export async function generateWithPruning(
  model: VisionLanguageModel,
  processor: TjsProcessorLike,
  request: PrunedGenerateRequest,
): Promise<PrunedGenerateResult> {
  const t0 = now();
  const family = familyFor(model.config);
  if (!Array.isArray(request.images) || request.images.length === 0) {
    throw new ResPruneError('E_INVALID_OPTION', 'generateWithPruning: request.images must hold at least one image');
  }
  if (typeof request.question !== 'string') throw new ResPruneError('E_INVALID_OPTION', 'generateWithPruning: request.question must be a string');
  const maxNewTokens = request.maxNewTokens ?? 32;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new ResPruneError('E_INVALID_OPTION', `generateWithPruning: maxNewTokens must be an integer >= 1, got ${String(maxNewTokens)}`);
  }
  const options: PruningOptions = {
    budget: request.budget ?? { ratio: 1 },
    tokenizer: processor,
    ...(request.method === undefined ? {} : { method: request.method }),
    ...(request.alpha === undefined ? {} : { alpha: request.alpha }),
    ...(request.policy === undefined ? {} : { policy: request.policy }),
  };
  const pruned = withPruning(model, options);
  const text = request.text ?? defaultText(family.name, processor, request.images.length, request.question);
  const inputs = await prepareInputs(model, processor, text, request.images);
  const preprocessMs = now() - t0;

  const stamps: number[] = [];
  const streamer = {
    put: (): void => void stamps.push(now()),
    end: (): void => undefined,
  };
  const tGen = now();
  const sequences = (await pruned.generate({
    ...inputs,
    prompt: request.question,
    max_new_tokens: maxNewTokens,
    do_sample: false,
    streamer,
  })) as TjsTensor;
  const tEnd = now();
  const report = pruned.lastPrune;
  if (report === undefined) throw new ResPruneError('E_INTERNAL', 'generateWithPruning: the prefill did not run the pruning step');
  const all = Array.from(sequences.data, Number);
  const generatedIds = all.slice(report.inputIds.length);
  const eos = ([] as unknown[]).concat(
    (model as unknown as { generation_config?: { eos_token_id?: unknown } }).generation_config?.eos_token_id ?? model.config['eos_token_id'] ?? [],
  );
  const stopReason = generatedIds.length > 0 && eos.includes(generatedIds.at(-1)) ? 'stop-token' : 'max-new-tokens';
  // stamps[0]: the prompt (before the prefill); stamps[1]: first token; later: one per token.
  const first = stamps[1] ?? tEnd;
  const t = report.timings;
  const pruneMs = t.embedMs + t.visionMs + t.textMs + t.selectMs + t.assembleMs;
  const decodeSteps = stamps.length - 2;
  return {
    engine: 'transformers',
    modelType: report.modelType,
    inputIds: report.inputIds,
    imageSpans: report.imageSpans,
    kept: report.kept,
    keep: report.keep,
    generatedIds,
    text: processor.tokenizer.decode(generatedIds, { skip_special_tokens: true }),
    stopReason,
    words: report.words,
    report: {
      visualTokensBefore: report.visualTokensBefore,
      visualTokensAfter: report.visualTokensAfter,
      sequenceLengthBefore: report.sequenceLengthBefore,
      sequenceLengthAfter: report.sequenceLengthAfter,
      method: report.method,
      budget: report.budget,
    },
    timings: {
      preprocessMs,
      visionMs: t.visionMs,
      selectionMs: t.embedMs + t.textMs + t.selectMs + t.assembleMs,
      prefillMs: Math.max(0, first - tGen - pruneMs),
      decodeMsPerToken: decodeSteps > 0 ? (stamps.at(-1)! - first) / decodeSteps : 0,
      totalMs: tEnd - t0,
    },
    positionIds: report.positionIds,
    inputsEmbedsShape: [report.sequenceLengthAfter, report.hidden],
    inputsEmbeds: report.inputsEmbeds,
  };
}
