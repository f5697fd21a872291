import { ResPruneError } from '@resprune/errors';
import type { BudgetPolicy } from '@resprune/backbones';
import { toBackboneBudget, type NewlineRule, type PruneBudget } from './prune.js';
import type { RgbImage } from '@resprune/image-processing';

/**
 * An image of a request: a file path, encoded bytes (JPEG, PNG, WebP, …) or decoded RGB.
 *
 * @example
 * ```ts
 * const a: ImageInput = 'dog.jpg';
 * const b: ImageInput = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
 * ```
 */
export type ImageInput = string | Uint8Array | RgbImage;

/**
 * Sampling settings; omit for greedy decoding.
 *
 * @example
 * ```ts
 * const s: SamplingOptions = { temperature: 0.7, topP: 0.9, seed: 1 };
 * ```
 */
export interface SamplingOptions {
  /** Softmax temperature (> 0). Default 1. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (0 = off). */
  readonly topK?: number;
  /** Nucleus: keep the smallest set with cumulative probability ≥ p (1 = off). */
  readonly topP?: number;
  /** Seed of the sampler's PRNG, so a request is reproducible. Default 0. */
  readonly seed?: number;
}

/**
 * One generation request: one image (or several) and one user prompt.
 *
 * @example
 * ```ts
 * const req: GenerateRequest = { image: 'dog.jpg', prompt: 'What is the dog doing?', budget: { keep: 128 }, maxNewTokens: 16 };
 * ```
 */
export interface GenerateRequest {
  /** The image; give `images` instead for several. */
  readonly image?: ImageInput;
  /** Several images, in prompt order (each gets its own placeholder and its own per-image quota). */
  readonly images?: readonly ImageInput[];
  /** The user's text; it is rendered through the chat template with one image placeholder per image. */
  readonly prompt: string;
  /** Visual-token budget over all images (each image keeps at least its share); omit to keep every token. */
  readonly budget?: PruneBudget;
  /** Selection method name passed to the selector (default `resprune`). */
  readonly method?: string;
  /** α of the text weighting passed to the selector. */
  readonly alpha?: number;
  /** LLaVA-NeXT `image_newline` rule (default `keep-rows`). */
  readonly newlines?: NewlineRule;
  /**
   * How the budget is split inside each image (`@resprune/backbones`' `BudgetPolicy`): `global` (default, one
   * budget over base view and crops), `per-view` (LLaVA-NeXT: base view and crop grid get ⌈n × f⌉ each) or
   * `per-crop` (base view and every crop get ⌈n × f⌉ each). Backbones with one view per image give the same plan under all three.
   */
  readonly policy?: BudgetPolicy;
  /** Maximum tokens to generate (default 32, at most {@link MAX_NEW_TOKENS_LIMIT}). 0 runs the prefill only. */
  readonly maxNewTokens?: number;
  /** Sampling settings; omit for greedy. */
  readonly sampling?: SamplingOptions;
  /** Token ids that stop generation (default: the checkpoint's EOS ids). */
  readonly stopTokenIds?: readonly number[];
  /** Return the prefill logits of every position of the pruned sequence (`[L', vocab]`). */
  readonly returnPrefillLogits?: boolean;
  /** Return the logits that produced each generated token. */
  readonly returnStepLogits?: boolean;
  /** Return what the decoder received: `inputs_embeds` `[L', hidden]` and position ids (`[L']`, or `[3, L']` for M-RoPE). */
  readonly returnEmbeddings?: boolean;
  /** Use the KV cache (default true); false recomputes the whole sequence every step (for verification). */
  readonly useKvCache?: boolean;
  /** Cancels the request: it ends with `E_ABORTED` and frees every tensor it made. */
  readonly signal?: AbortSignal;
}

/** The largest `maxNewTokens` a request may ask for (the decoder's context is checked as well). */
export const MAX_NEW_TOKENS_LIMIT = 4096;
/** The most images one request may carry. */
export const MAX_IMAGES_PER_REQUEST = 16;

const BUDGET_POLICIES: readonly BudgetPolicy[] = ['global', 'per-view', 'per-crop'];
const NEWLINE_RULES: readonly NewlineRule[] = ['keep-rows', 'keep', 'drop', 'select'];

/**
 * The images of a request as a list.
 *
 * @param req - the request
 * @returns `req.images`, or `[req.image]`
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when both or neither are given, `E_EMPTY_INPUT` for no images
 * @example
 * ```ts
 * requestImages({ image: 'a.jpg', prompt: 'x' }); // ['a.jpg']
 * ```
 */
export function requestImages(req: GenerateRequest): readonly ImageInput[] {
  if (req.image !== undefined && req.images !== undefined) {
    throw new ResPruneError('E_INVALID_OPTION', 'generate: give either image or images, not both.');
  }
  const list = req.images ?? (req.image === undefined ? [] : [req.image]);
  if (!Array.isArray(list) || list.length === 0) throw new ResPruneError('E_EMPTY_INPUT', 'generate: a request needs an image (image or images).');
  if (list.length > MAX_IMAGES_PER_REQUEST) {
    throw new ResPruneError('E_INVALID_OPTION', `generate: ${list.length} images; at most ${MAX_IMAGES_PER_REQUEST} per request.`);
  }
  for (const [i, im] of list.entries()) {
    const ok =
      typeof im === 'string'
        ? im !== ''
        : im instanceof Uint8Array || (typeof im === 'object' && im !== null && (im as RgbImage).data instanceof Uint8Array);
    if (!ok) throw new ResPruneError('E_INVALID_OPTION', `generate: image ${i} must be a path, encoded bytes or { width, height, data }.`);
  }
  return list;
}

/**
 * Checks everything about a request that needs no model: prompt, images, budget, policy, newline rule, token
 * limits and sampling. {@link LvlmPipeline.generate} calls it first; call it yourself to fail fast before loading
 * a checkpoint (the CLI does).
 *
 * @param req - the request
 * @param where - a label for messages (default `generate`)
 * @throws {@link @resprune/errors!ResPruneError} `E_EMPTY_INPUT`, `E_BUDGET`, `E_INVALID_OPTION`
 * @example
 * ```ts
 * validateGenerateRequest({ image: 'dog.jpg', prompt: 'What is it?', budget: { ratio: 0.25 } });
 * ```
 */
export function validateGenerateRequest(req: GenerateRequest, where = 'generate'): void {
  if (req === null || typeof req !== 'object') throw new ResPruneError('E_INVALID_OPTION', `${where}: a request must be an object.`);
  if (typeof req.prompt !== 'string' || req.prompt.trim() === '') {
    throw new ResPruneError('E_EMPTY_INPUT', `${where}: prompt must be a non-empty string.`);
  }
  requestImages(req);
  if (req.budget !== undefined) toBackboneBudget(req.budget);
  if (req.method !== undefined && (typeof req.method !== 'string' || req.method === '')) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: method must be a non-empty string.`);
  }
  if (req.alpha !== undefined && !(typeof req.alpha === 'number' && Number.isFinite(req.alpha) && req.alpha >= 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: alpha must be a finite number >= 0, got ${req.alpha}.`);
  }
  if (req.policy !== undefined && !BUDGET_POLICIES.includes(req.policy)) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: policy must be one of ${BUDGET_POLICIES.join(', ')}, got ${JSON.stringify(req.policy)}.`);
  }
  if (req.newlines !== undefined && !NEWLINE_RULES.includes(req.newlines)) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: newlines must be one of ${NEWLINE_RULES.join(', ')}, got ${JSON.stringify(req.newlines)}.`);
  }
  const m = req.maxNewTokens ?? 32;
  if (!Number.isSafeInteger(m) || m < 0 || m > MAX_NEW_TOKENS_LIMIT) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: maxNewTokens must be an integer in [0, ${MAX_NEW_TOKENS_LIMIT}], got ${m}.`);
  }
  const s = req.sampling;
  if (s !== undefined) {
    if (s.temperature !== undefined && !(s.temperature > 0 && Number.isFinite(s.temperature))) {
      throw new ResPruneError('E_INVALID_OPTION', `${where}: sampling.temperature must be a positive number, got ${s.temperature}.`);
    }
    if (s.topK !== undefined && !(Number.isSafeInteger(s.topK) && s.topK >= 0)) {
      throw new ResPruneError('E_INVALID_OPTION', `${where}: sampling.topK must be an integer >= 0, got ${s.topK}.`);
    }
    if (s.topP !== undefined && !(s.topP > 0 && s.topP <= 1)) {
      throw new ResPruneError('E_INVALID_OPTION', `${where}: sampling.topP must be in (0, 1], got ${s.topP}.`);
    }
    if (s.seed !== undefined && !Number.isSafeInteger(s.seed)) {
      throw new ResPruneError('E_INVALID_OPTION', `${where}: sampling.seed must be an integer, got ${s.seed}.`);
    }
  }
  if (req.stopTokenIds !== undefined && !(Array.isArray(req.stopTokenIds) && req.stopTokenIds.every((id) => Number.isSafeInteger(id) && id >= 0))) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: stopTokenIds must be integers >= 0.`);
  }
}

/**
 * Throws `E_ABORTED` when the signal has fired.
 *
 * @param signal - the request's or loader's signal
 * @param what - what was cancelled, for the message
 * @throws {@link @resprune/errors!ResPruneError} `E_ABORTED`
 * @example
 * ```ts
 * throwIfAborted(request.signal, 'generate');
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) {
    const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
    throw new ResPruneError('E_ABORTED', `${what}: cancelled (${reason}).`, { cause: signal.reason });
  }
}

/** Index of the largest logit (the first one on ties). @internal */
export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Draws a token from logits with temperature, top-k and top-p. @internal */
export function sampleToken(logits: Float32Array, s: SamplingOptions, rand: () => number): number {
  const temp = s.temperature ?? 1;
  const idx = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const k = s.topK !== undefined && s.topK > 0 ? Math.min(s.topK, idx.length) : idx.length;
  const top = idx.slice(0, k);
  const max = logits[top[0]!]!;
  const p = top.map((i) => Math.exp((logits[i]! - max) / temp));
  const sum = p.reduce((a, b) => a + b, 0);
  let keep = top.length;
  const topP = s.topP ?? 1;
  if (topP < 1) {
    let cum = 0;
    for (let i = 0; i < top.length; i++) {
      cum += p[i]! / sum;
      if (cum >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  const norm = p.slice(0, keep).reduce((a, b) => a + b, 0);
  let r = rand() * norm;
  for (let i = 0; i < keep; i++) {
    r -= p[i]!;
    if (r <= 0) return top[i]!;
  }
  return top[keep - 1]!;
}
