/**
 * The parts of transformers.js objects this package touches, typed structurally so the wrapper
 * works with any `PreTrainedModel` subclass and stays independent of transformers.js' private types.
 */

/** A transformers.js `Tensor` (its public fields and the methods used here). * @example
 * ```ts
 * const features = (await model.encode_image(inputs)) as TjsTensor;
 * console.log(features.dims); // [tokens, hidden] for Qwen, [images, tokens, hidden] for LLaVA
 * ```
 */
export interface TjsTensor {
  /** Element type: `float32`, `float16`, `int64`, … */
  readonly type: string;
  /** Flat data, row-major. */
  readonly data: ArrayLike<number | bigint> & { readonly length: number };
  /** Shape. */
  readonly dims: readonly number[];
  /** Same data, other type. */
  to(type: string): TjsTensor;
}

/** The inputs of one transformers.js `forward` call (tensors, caches, flags). * @example
 * ```ts
 * const inputs: ModelInputs = await processor(text, image); // input_ids, attention_mask, pixel_values, …
 * ```
 */
export type ModelInputs = Record<string, unknown>;

/** The outputs of one transformers.js `forward` call (`logits`, `present.*`, …). * @example
 * ```ts
 * const out: ModelOutputs = await pruned.forward(inputs);
 * const logits = out['logits'] as TjsTensor; // [1, L', vocab]
 * ```
 */
export type ModelOutputs = Record<string, unknown>;

/** A transformers.js ONNX session as `model.sessions` holds it. * @example
 * ```ts
 * model.sessions['decoder_model_merged']!.inputNames; // ['inputs_embeds', 'attention_mask', 'position_ids', 'past_key_values.0.key', …]
 * ```
 */
export interface TjsSession {
  /** Input names of the ONNX graph. */
  readonly inputNames: readonly string[];
  /** Output names of the ONNX graph. */
  readonly outputNames: readonly string[];
}

/**
 * A loaded transformers.js vision-language model: what `AutoModelForImageTextToText.from_pretrained`
 * (or a family class such as `Qwen2VLForConditionalGeneration`) returns.
 * @example
 * ```ts
 * const model = (await AutoModelForImageTextToText.from_pretrained(id)) as unknown as VisionLanguageModel;
 * ```
 */
export interface VisionLanguageModel {
  /** The model config (`config.json`), with `model_type`. */
  readonly config: { readonly model_type?: string; readonly [key: string]: unknown };
  /** ONNX sessions by name: `embed_tokens`, `vision_encoder`, `decoder_model_merged`. */
  readonly sessions: Readonly<Record<string, TjsSession>>;
  /** Runs the `embed_tokens` session: `{ input_ids }` → `[batch, seq, hidden]`. */
  encode_text(inputs: ModelInputs): Promise<TjsTensor>;
  /** Runs the `vision_encoder` session: image inputs → image features (after projector/merger). */
  encode_image(inputs: ModelInputs): Promise<TjsTensor>;
  /** One forward pass (prefill or decode step). */
  forward(inputs: ModelInputs): Promise<ModelOutputs>;
  /** Text generation (`{ ...processorOutputs, max_new_tokens, … }`). */
  generate(options: ModelInputs): Promise<unknown>;
}

/** A transformers.js tokenizer (or anything with its `_tokenizerJSON`), used for word → token ids. * @example
 * ```ts
 * const tokenizer: TjsTokenizerLike = processor.tokenizer;
 * ```
 */
export interface TjsTokenizerLike {
  /** The parsed tokenizer.json transformers.js keeps. */
  readonly _tokenizerJSON: unknown;
  /** Decodes ids to text. */
  decode(ids: readonly (number | bigint)[], options?: { readonly skip_special_tokens?: boolean }): string;
}
