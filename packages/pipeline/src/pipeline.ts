import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { registerFastKernels, registerKernels, unregisterFastKernels } from '@resprune/linalg';
import { loadWeights, locateWeights, readJsonFile, type LoadProgress, type TensorNameLayout } from './checkpoint.js';
import { parseLlavaConfig, type LlavaModelConfig } from './config.js';
import { kvBytesFor, prefillFlops, type PrefillFlops } from './flops.js';
import { disposeKvCache, kvCacheBytes, lmHead, llamaForward, LM_HEAD, type KvCache } from './models/llama.js';
import { EMBED_TOKENS, encodeCrops, isLinearWeight, llavaFallbacks, llavaWeightSpec, nextGeometry, packNext } from './models/llava.js';
import { decodeRgb, parseImageProcessorConfig, preprocessImage, type ImageProcessorConfig, type PreprocessedImage, type RgbImage } from './preprocess.js';
import { promptTextVectors, registrySelector } from './defaults.js';
import { planPruning, toBackboneBudget, type PrunedUnit, type PruneBudget, type TokenSelector, type NewlineRule } from './prune.js';
import { resolveBackbone } from './backbone.js';
import type { BackboneAdapter, BudgetPolicy, HfConfigLike, VisualLayout } from '@resprune/backbones';
import { loadCheckpointTokenizer, renderChatPrompt, type PipelineTokenizer } from './tokenizer.js';

/** Options of {@link loadPipeline}. */
export interface LoadPipelineOptions {
  /** Called after each weight tensor is read (drive a progress bar with it). */
  readonly onProgress?: (p: LoadProgress) => void;
  /** Jinja chat template to use instead of the checkpoint's. */
  readonly chatTemplate?: string;
  /**
   * The token selector used when a request has a budget. Called once per unit of the adapter's budget plan (one
   * per image under the `global` policy, per view or per crop otherwise) with that unit's projected visual tokens
   * (the candidates), text vectors from the prompt (or undefined) and the unit's budget; returns kept candidate
   * indices.
   * Default {@link registrySelector} (`@resprune/selector`'s `selectWith`).
   */
  readonly selector?: TokenSelector;
  /**
   * Text vectors for a prompt (rows of the LLM embedding space), used to condition the selector, or undefined
   * for no conditioning. Default {@link promptTextVectors} (the prompt's nouns via `@resprune/text`, averaged rows
   * of the model's embedding table). Pass `() => undefined` to switch text conditioning off.
   */
  readonly textVectors?: (prompt: string, tokenizer: PipelineTokenizer, embedTable: tf.Tensor2D) => tf.Tensor2D | undefined;
  /**
   * Run the ResPrune greedy on the fast path: `@resprune/linalg`'s WebAssembly SIMD engine (on worker threads
   * where the platform allows it) behind the selector's `ResidualGreedy` kernel on the cpu and wasm backends.
   * Default true. The picks are the plain kernels' (up to float32 near-ties); where the engine cannot start, the
   * plain kernels stay and {@link LvlmPipeline.selectionEngine} says so. Kernels are registered process-wide (tfjs
   * keeps one kernel registry), so the last pipeline loaded decides for every pipeline in the process.
   */
  readonly fastSelection?: boolean;
}

/** Which implementation runs the ResPrune greedy in a pipeline. */
export interface SelectionEngineInfo {
  /** `wasm-threads`, `wasm` or `js` for the fast engine; `plain` for the tfjs kernels. */
  readonly kind: 'wasm-threads' | 'wasm' | 'js' | 'plain';
  /** Threads that share each selection. */
  readonly threads: number;
}

/** Sampling settings; omit for greedy decoding. */
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

/** One generation request: one image and one user prompt. */
export interface GenerateRequest {
  /** Image path, encoded bytes, or decoded RGB. */
  readonly image: string | Uint8Array | RgbImage;
  /** The user's text; it is rendered through the chat template with the image placeholder. */
  readonly prompt: string;
  /** Visual-token budget; omit to keep every token. */
  readonly budget?: PruneBudget;
  /** Selection method name passed to the selector (default `resprune`). */
  readonly method?: string;
  /** α of the text weighting passed to the selector. */
  readonly alpha?: number;
  /** LLaVA-NeXT `image_newline` rule (default `keep-rows`). */
  readonly newlines?: NewlineRule;
  /**
   * How the budget is split inside the image (`@resprune/backbones`' `BudgetPolicy`): `global` (default, one
   * budget over base view and crops), `per-view` (LLaVA-NeXT: base view and crop grid get ⌈n × f⌉ each) or
   * `per-crop` (base view and every crop get ⌈n × f⌉ each). LLaVA-1.5 has one view: all three are the same.
   */
  readonly policy?: BudgetPolicy;
  /** Maximum tokens to generate (default 32). 0 runs the prefill only. */
  readonly maxNewTokens?: number;
  /** Sampling settings; omit for greedy. */
  readonly sampling?: SamplingOptions;
  /** Token ids that stop generation (default: the checkpoint's EOS ids). */
  readonly stopTokenIds?: readonly number[];
  /** Return the prefill logits of every position of the pruned sequence (`[L', vocab]`). */
  readonly returnPrefillLogits?: boolean;
  /** Return the logits that produced each generated token. */
  readonly returnStepLogits?: boolean;
  /** Use the KV cache (default true); false recomputes the whole sequence every step (for verification). */
  readonly useKvCache?: boolean;
}

/** Timings of one request in milliseconds (wall clock, after `dataSync` so backends have finished). */
export interface GenerationTimings {
  /** Decoding and preprocessing the image. */
  readonly preprocessMs: number;
  /** Vision tower, projector and NeXT packing. */
  readonly visionMs: number;
  /** Text vectors and token selection. */
  readonly selectionMs: number;
  /** LLM prefill up to the first token's logits. */
  readonly prefillMs: number;
  /** Mean time per generated token after the first (0 when fewer than 2 tokens). */
  readonly decodeMsPerToken: number;
  /** Whole request. */
  readonly totalMs: number;
}

/** What a request reports about its cost. */
export interface GenerationReport {
  /** Visual tokens produced by the projector (the image span before pruning). */
  readonly visualTokensBefore: number;
  /** Visual tokens entering the LLM. */
  readonly visualTokensAfter: number;
  /** Sequence length before pruning. */
  readonly sequenceLengthBefore: number;
  /** Sequence length entering the LLM (L'). */
  readonly sequenceLengthAfter: number;
  /** Analytic prefill FLOPs per component, as run. */
  readonly flops: PrefillFlops;
  /** The same for the unpruned sequence, for comparison. */
  readonly flopsUnpruned: PrefillFlops;
  /** Float32 KV-cache bytes after the prefill. */
  readonly kvCacheBytes: number;
  /** Float32 KV-cache bytes an unpruned prefill would hold. */
  readonly kvCacheBytesUnpruned: number;
  /** Timings. */
  readonly timings: GenerationTimings;
  /** Selection method, or `none`. */
  readonly method: string;
  /** The budget as requested, or null. */
  readonly budget: PruneBudget | null;
  /** The budget policy used, or null without a budget. */
  readonly policy: BudgetPolicy | null;
  /** Selection units of the budget plan (label, candidates, kept), empty without a budget. */
  readonly units: readonly PrunedUnit[];
}

/** Result of one request. */
export interface GenerateResult {
  /** Prompt ids with the image placeholder expanded to the image's tokens (before pruning). */
  readonly inputIds: number[];
  /** Where the image span lies in `inputIds`. */
  readonly imageSpan: { readonly start: number; readonly length: number };
  /** Kept image-token indices, 0-based within the image span, ascending. */
  readonly kept: Int32Array;
  /** Generated ids (the stop token included when one was produced). */
  readonly generatedIds: number[];
  /** Decoded text of the generated ids (special tokens skipped). */
  readonly text: string;
  /** Why generation ended. */
  readonly stopReason: 'stop-token' | 'max-new-tokens';
  /** `[L', vocab]` row-major prefill logits, when requested. */
  readonly prefillLogits?: Float32Array;
  /** Logits `[vocab]` behind each generated token, when requested. */
  readonly stepLogits?: Float32Array[];
  /** Cost report. */
  readonly report: GenerationReport;
}

/** A loaded LVLM, reusable across requests. */
export interface LvlmPipeline {
  /** Parsed config. */
  readonly config: LlavaModelConfig;
  /** Image processor settings. */
  readonly imageProcessor: ImageProcessorConfig;
  /** The checkpoint's tokenizer. */
  readonly tokenizer: PipelineTokenizer;
  /** Name layout of the checkpoint's tensors. */
  readonly tensorLayout: TensorNameLayout;
  /**
   * The backbone adapter (`@resprune/backbone-llava`) resolved from config.json and preprocessor_config.json: it
   * gives each image's token layout, splits budgets and compacts the LLM input.
   */
  readonly backbone: BackboneAdapter;
  /** Float32 bytes of the loaded weights. */
  readonly weightBytes: number;
  /** Chat template in use. */
  readonly chatTemplate: string;
  /** What runs the ResPrune greedy (see {@link LoadPipelineOptions.fastSelection}). */
  readonly selectionEngine: SelectionEngineInfo;
  /**
   * Runs one request.
   * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_DECODE`, `E_TOKENIZER`, `E_BUDGET`, `E_INVALID_OPTION`, `E_MODEL`
   */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /**
   * Runs several requests as one batch (one vision forward over every crop; left-padded LLM prefill and decode).
   * Each row's output equals what {@link LvlmPipeline.generate} gives for it alone (up to float rounding).
   * @throws {@link @resprune/errors!ResPruneError} as {@link LvlmPipeline.generate}
   */
  generateBatch(requests: readonly GenerateRequest[]): Promise<GenerateResult[]>;
  /** Frees every weight tensor. The pipeline cannot be used afterwards. */
  dispose(): void;
}

function now(): number {
  return performance.now();
}

/** mulberry32: a small seeded PRNG, so sampled decoding is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

function sample(logits: Float32Array, s: SamplingOptions, rand: () => number): number {
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

const BUDGET_POLICIES: readonly BudgetPolicy[] = ['global', 'per-view', 'per-crop'];
const NEWLINE_RULES: readonly NewlineRule[] = ['keep-rows', 'keep', 'drop', 'select'];

function validateRequest(req: GenerateRequest, i: number): void {
  const where = `generate (request ${i})`;
  if (typeof req.prompt !== 'string' || req.prompt.trim() === '') {
    throw new ResPruneError('E_EMPTY_INPUT', `${where}: prompt must be a non-empty string.`);
  }
  if (req.budget !== undefined) toBackboneBudget(req.budget);
  if (req.policy !== undefined && !BUDGET_POLICIES.includes(req.policy)) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: policy must be one of ${BUDGET_POLICIES.join(', ')}, got ${JSON.stringify(req.policy)}.`);
  }
  if (req.newlines !== undefined && !NEWLINE_RULES.includes(req.newlines)) {
    throw new ResPruneError('E_INVALID_OPTION', `${where}: newlines must be one of ${NEWLINE_RULES.join(', ')}, got ${JSON.stringify(req.newlines)}.`);
  }
  const m = req.maxNewTokens ?? 32;
  if (!Number.isSafeInteger(m) || m < 0) throw new ResPruneError('E_INVALID_OPTION', `${where}: maxNewTokens must be an integer >= 0, got ${m}.`);
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
  }
}

interface Prepared {
  readonly req: GenerateRequest;
  readonly inputIds: number[];
  readonly spanStart: number;
  readonly layout: VisualLayout;
  readonly pre: PreprocessedImage;
  readonly preprocessMs: number;
}

/**
 * Registers the selector's kernels, then the fast greedy over them when asked; a platform where the fast
 * engine cannot start keeps the plain kernels.
 */
async function prepareSelection(fast: boolean): Promise<SelectionEngineInfo> {
  registerKernels();
  if (!fast) {
    unregisterFastKernels();
    return { kind: 'plain', threads: 1 };
  }
  try {
    const engine = await registerFastKernels();
    return { kind: engine.kind, threads: engine.threads };
  } catch {
    return { kind: 'plain', threads: 1 };
  }
}

/**
 * Loads a LLaVA-1.5 (`llava`) or LLaVA-NeXT (`llava_next`) checkpoint directory as published on the Hugging Face
 * hub: config.json, safetensors weights (single file or sharded with an index), tokenizer.json /
 * tokenizer_config.json with a chat template, preprocessor_config.json. Weights are read shard by shard into
 * float32 tensors on the active tfjs backend.
 *
 * @param dir - checkpoint directory
 * @param options - progress callback, template override, selector and text-vector hooks
 * @returns the loaded pipeline; call `dispose()` to free it
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND`, `E_CHECKPOINT`, `E_SAFETENSORS`, `E_FILE_CORRUPT`,
 *   `E_TENSOR_MISSING`, `E_TENSOR_SHAPE`, `E_BACKBONE_UNKNOWN`, `E_BACKBONE_CONFIG`, `E_TOKENIZER`; nothing stays
 *   allocated after an error
 * @example
 * ```ts
 * const lvlm = await loadPipeline('llava-1.5-7b-hf');
 * const out = await lvlm.generate({ image: 'dog.jpg', prompt: 'What is the dog doing?', budget: { keep: 128 } });
 * console.log(out.text, out.report.visualTokensAfter);
 * lvlm.dispose();
 * ```
 */
export async function loadPipeline(dir: string, options: LoadPipelineOptions = {}): Promise<LvlmPipeline> {
  const files = locateWeights(dir);
  const rawConfig = readJsonFile(join(dir, 'config.json'));
  const config = parseLlavaConfig(rawConfig);
  const hasPre = existsSync(join(dir, 'preprocessor_config.json'));
  const preRaw = hasPre ? readJsonFile(join(dir, 'preprocessor_config.json')) : {};
  const imageProcessor = parseImageProcessorConfig(preRaw, config.imageGridPinpoints);
  if (config.modelType === 'llava_next' && imageProcessor.gridPinpoints.length === 0) {
    throw new ResPruneError('E_CHECKPOINT', `${dir}: llava_next needs image_grid_pinpoints (config.json or preprocessor_config.json).`);
  }
  const backbone = resolveBackbone(rawConfig as HfConfigLike, hasPre ? (preRaw as HfConfigLike) : undefined);
  const tok = loadCheckpointTokenizer(dir);
  const chatTemplate = options.chatTemplate ?? tok.chatTemplate;
  if (chatTemplate === undefined) {
    throw new ResPruneError('E_TOKENIZER', `${dir}: no chat template (chat_template.json, chat_template.jinja or tokenizer_config.json "chat_template"); pass options.chatTemplate.`, {
      details: { file: dir },
    });
  }
  const genCfg = existsSync(join(dir, 'generation_config.json')) ? (readJsonFile(join(dir, 'generation_config.json')) as Record<string, unknown>) : {};
  const stopIds = new Set<number>(config.eosTokenIds);
  const ge = genCfg['eos_token_id'];
  for (const v of Array.isArray(ge) ? ge : [ge]) if (typeof v === 'number') stopIds.add(v);
  if (tok.tokenizer.eosTokenId !== undefined) stopIds.add(tok.tokenizer.eosTokenId);
  const selectionEngine = await prepareSelection(options.fastSelection ?? true);
  const weights = await loadWeights(files, llavaWeightSpec(config), {
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    fallbacks: llavaFallbacks(config),
    transpose: isLinearWeight,
  });
  const lmHeadTransposed = weights.transposed.has(LM_HEAD);
  const w = (name: string): tf.Tensor => {
    const t = weights.tensors.get(name);
    if (t === undefined) throw new ResPruneError('E_INTERNAL', `pipeline: weight "${name}" was not loaded.`);
    return t;
  };
  let disposed = false;
  const embedTable = w(EMBED_TOKENS) as tf.Tensor2D;
  const tokenizer = tok.tokenizer;

  async function prepare(req: GenerateRequest): Promise<Prepared> {
    const t0 = now();
    const rgb = typeof req.image === 'string' || req.image instanceof Uint8Array ? await decodeRgb(req.image) : req.image;
    const pre = await preprocessImage(rgb, imageProcessor);
    const preprocessMs = now() - t0;
    const layout = backbone.layout({ width: pre.imageSize[1], height: pre.imageSize[0] });
    const geo = nextGeometry(layout);
    const crops = geo === null ? 1 : 1 + geo.grid[0] * geo.grid[1];
    if (pre.crops !== crops || (geo !== null && (pre.grid?.[0] !== geo.grid[0] || pre.grid?.[1] !== geo.grid[1]))) {
      throw new ResPruneError('E_INTERNAL', `generate: preprocessing made ${pre.crops} crops (grid ${JSON.stringify(pre.grid)}), the ${layout.backbone} layout expects ${crops} (grid ${JSON.stringify(geo?.grid ?? null)}).`);
    }
    const rendered = renderChatPrompt(chatTemplate!, req.prompt, { bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken });
    const addSpecial = tokenizer.bosToken === undefined || !rendered.startsWith(tokenizer.bosToken);
    const ids = tokenizer.encode(rendered, addSpecial);
    const at = ids.flatMap((id, i) => (id === config.imageTokenIndex ? [i] : []));
    if (at.length !== 1) {
      throw new ResPruneError('E_TOKENIZER', `generate: the rendered prompt has ${at.length} image tokens (id ${config.imageTokenIndex}); expected exactly 1. Is "<image>" an added token of tokenizer.json?`);
    }
    const bad = ids.find((id) => id !== config.imageTokenIndex && (id < 0 || id >= config.text.vocabSize));
    if (bad !== undefined) throw new ResPruneError('E_TOKENIZER', `generate: token id ${bad} is outside the model's vocabulary of ${config.text.vocabSize}.`);
    const s = at[0]!;
    const inputIds = [...ids.slice(0, s), ...new Array<number>(layout.tokens).fill(config.imageTokenIndex), ...ids.slice(s + 1)];
    return { req, inputIds, spanStart: s, layout, pre, preprocessMs };
  }

  async function generateBatch(requests: readonly GenerateRequest[]): Promise<GenerateResult[]> {
    if (disposed) throw new ResPruneError('E_MODEL', 'generate: the pipeline was disposed.');
    if (requests.length === 0) throw new ResPruneError('E_EMPTY_INPUT', 'generateBatch: no requests.');
    requests.forEach(validateRequest);
    const tStart = now();
    const prepared: Prepared[] = [];
    for (const r of requests) prepared.push(await prepare(r));
    const B = prepared.length;
    let cache: KvCache | undefined;
    const owned: tf.Tensor[] = [];
    try {
      // Vision: every crop of every image in one forward.
      const tv = now();
      const crops = prepared.reduce((a, p) => a + p.pre.crops, 0);
      const side = prepared[0]!.pre.cropSize;
      const pixels = new Float32Array(crops * 3 * side * side);
      let off = 0;
      for (const p of prepared) {
        pixels.set(p.pre.pixels, off);
        off += p.pre.pixels.length;
      }
      const visual: tf.Tensor2D[] = tf.tidy(() => {
        const px = tf.tensor4d(pixels, [crops, 3, side, side]);
        const feats = encodeCrops(config, w, px);
        const out: tf.Tensor2D[] = [];
        let c0 = 0;
        for (const p of prepared) {
          const mine = tf.slice(feats, [c0, 0, 0], [p.pre.crops, -1, -1]) as tf.Tensor3D;
          c0 += p.pre.crops;
          out.push(config.modelType === 'llava_next' ? packNext(w, mine, p.layout) : (tf.reshape(mine, [-1, config.text.hiddenSize]) as tf.Tensor2D));
        }
        return out;
      });
      owned.push(...visual);
      visual.forEach((v, i) => {
        if (v.shape[0] !== prepared[i]!.layout.tokens) {
          throw new ResPruneError('E_INTERNAL', `generate: image ${i} has ${v.shape[0]} projected tokens, layout says ${prepared[i]!.layout.tokens}.`);
        }
      });
      await Promise.all(visual.map((v) => v.data()));
      const visionMs = (now() - tv) / B;
      // Selection (the adapter's budget plan) and compaction (the adapter's rows and positions).
      const kepts: Int32Array[] = [];
      const rowPositions: (readonly number[])[] = [];
      const selectionMs: number[] = [];
      const selUnits: (readonly PrunedUnit[])[] = [];
      const policies: (BudgetPolicy | null)[] = [];
      for (let i = 0; i < B; i++) {
        const p = prepared[i]!;
        const ts = now();
        const newlines = p.req.newlines ?? 'keep-rows';
        let picked: ArrayLike<number>;
        if (p.req.budget === undefined) {
          // No budget: every token stays, newlines included.
          picked = Int32Array.from({ length: p.layout.tokens }, (_, j) => j);
          selUnits.push([]);
          policies.push(null);
        } else {
          const textVec = (options.textVectors ?? promptTextVectors)(p.req.prompt, tokenizer, embedTable);
          try {
            const plan = await planPruning(visual[i]!, p.layout, backbone, p.req.budget, {
              selector: options.selector ?? registrySelector,
              method: p.req.method ?? 'resprune',
              ...(p.req.alpha === undefined ? {} : { alpha: p.req.alpha }),
              ...(textVec === undefined ? {} : { text: textVec }),
              ...(p.req.policy === undefined ? {} : { policy: p.req.policy }),
              newlines,
            });
            picked = plan.picked;
            selUnits.push(plan.units);
            policies.push(plan.plan.policy);
          } finally {
            textVec?.dispose();
          }
        }
        const after = p.inputIds.length - p.spanStart - p.layout.tokens;
        const compacted = backbone.compact(p.layout, picked, {
          prompt: [{ text: p.spanStart }, { image: 0 }, { text: after }],
          newlines: p.req.budget === undefined ? 'select' : newlines,
        });
        if (compacted.positions.scheme !== 'sequential') {
          throw new ResPruneError('E_INTERNAL', `generate: the ${backbone.id} adapter numbers positions "${compacted.positions.scheme}"; this pipeline runs 1-D RoPE.`);
        }
        kepts.push(Int32Array.from(compacted.visual));
        rowPositions.push(compacted.positions.ids);
        selectionMs.push(now() - ts);
      }
      // Compacted input embeddings per row, left-padded to a common length.
      const lens = rowPositions.map((ids) => ids.length);
      const Lmax = Math.max(...lens);
      const d = config.text.hiddenSize;
      const rowEmbeds: tf.Tensor2D[] = prepared.map((p, i) =>
        tf.tidy(() => {
          const before = p.inputIds.slice(0, p.spanStart);
          const after = p.inputIds.slice(p.spanStart + p.layout.tokens);
          const parts: tf.Tensor2D[] = [];
          if (Lmax > lens[i]!) parts.push(tf.zeros([Lmax - lens[i]!, d]));
          if (before.length > 0) parts.push(tf.gather(embedTable, tf.tensor1d(before, 'int32')));
          if (kepts[i]!.length > 0) parts.push(tf.gather(visual[i]!, tf.tensor1d(kepts[i]!, 'int32')));
          if (after.length > 0) parts.push(tf.gather(embedTable, tf.tensor1d(after, 'int32')));
          return tf.concat(parts, 0);
        }),
      );
      owned.push(...rowEmbeds);
      const inputs = tf.stack(rowEmbeds) as tf.Tensor3D;
      owned.push(inputs);
      const valid = lens.map((l) => {
        const v = new Uint8Array(Lmax);
        v.fill(1, Lmax - l);
        return v;
      });
      const positions = lens.map((l, r) => {
        const p = new Int32Array(Lmax);
        const ids = rowPositions[r]!;
        for (let t = Lmax - l; t < Lmax; t++) p[t] = ids[t - (Lmax - l)]!;
        return p;
      });
      const useCache = requests.map((r) => r.useKvCache ?? true);
      if (useCache.some((u) => u !== useCache[0])) {
        throw new ResPruneError('E_INVALID_OPTION', 'generateBatch: useKvCache must be the same for every request of a batch.');
      }
      // Prefill.
      const tp = now();
      const pre = llamaForward(config.text, w, inputs, valid, positions, undefined);
      cache = pre.cache;
      const prefillLogits: (Float32Array | undefined)[] = [];
      const lastLogits: Float32Array[] = [];
      for (let r = 0; r < B; r++) {
        const want = prepared[r]!.req.returnPrefillLogits === true;
        const rows = tf.tidy(() => {
          const h = tf.reshape(tf.slice(pre.hidden, [r, want ? Lmax - lens[r]! : Lmax - 1, 0], [1, want ? lens[r]! : 1, d]), [-1, d]) as tf.Tensor2D;
          return lmHead(w, h, lmHeadTransposed);
        });
        const data = (await rows.data()) as Float32Array;
        rows.dispose();
        prefillLogits.push(want ? data : undefined);
        lastLogits.push(want ? data.slice((lens[r]! - 1) * config.text.vocabSize) : data);
      }
      pre.hidden.dispose();
      const prefillMs = now() - tp;
      const prefillKvBytes = kvCacheBytes(cache) / B;
      if (!useCache[0]) {
        disposeKvCache(cache);
        cache = undefined;
      }
      // Decode.
      const generated: number[][] = prepared.map(() => []);
      const stepLogits: Float32Array[][] = prepared.map(() => []);
      const done = prepared.map((p) => (p.req.maxNewTokens ?? 32) === 0);
      const stopReason: ('stop-token' | 'max-new-tokens')[] = prepared.map(() => 'max-new-tokens');
      const rands = prepared.map((p) => prng(p.req.sampling?.seed ?? 0));
      const stops = prepared.map((p) => new Set(p.req.stopTokenIds ?? [...stopIds]));
      let logits = lastLogits;
      const td = now();
      let steps = 0;
      const allEmbeds = useCache[0] ? undefined : [inputs];
      for (;;) {
        const next: number[] = [];
        for (let r = 0; r < B; r++) {
          const p = prepared[r]!;
          if (done[r]) {
            next.push(stops[r]!.values().next().value ?? 0);
            continue;
          }
          const l = logits[r]!;
          const id = p.req.sampling === undefined ? argmax(l) : sample(l, p.req.sampling, rands[r]!);
          generated[r]!.push(id);
          if (p.req.returnStepLogits === true) stepLogits[r]!.push(l);
          if (stops[r]!.has(id)) {
            done[r] = true;
            stopReason[r] = 'stop-token';
          } else if (generated[r]!.length >= (p.req.maxNewTokens ?? 32)) done[r] = true;
          next.push(id);
        }
        if (done.every(Boolean)) break;
        const step = tf.tidy(() => tf.reshape(tf.gather(embedTable, tf.tensor1d(next, 'int32')), [B, 1, d]) as tf.Tensor3D);
        let hidden: tf.Tensor3D;
        if (cache !== undefined) {
          const out = llamaForward(config.text, w, step, next.map(() => Uint8Array.of(1)), cache.nextPosition.map((p) => Int32Array.of(p)), cache);
          step.dispose();
          disposeKvCache(cache);
          cache = out.cache;
          hidden = out.hidden;
        } else {
          // Recompute the whole sequence: the prefill inputs plus every generated token so far.
          allEmbeds!.push(step);
          owned.push(step);
          const seq = tf.concat(allEmbeds!, 1) as tf.Tensor3D;
          const T = seq.shape[1];
          const v = lens.map((l) => {
            const a = new Uint8Array(T);
            a.fill(1, Lmax - l);
            return a;
          });
          const pos = lens.map((l) => {
            const a = new Int32Array(T);
            for (let t = Lmax - l; t < T; t++) a[t] = t - (Lmax - l);
            return a;
          });
          const out = llamaForward(config.text, w, seq, v, pos, undefined);
          seq.dispose();
          disposeKvCache(out.cache);
          hidden = out.hidden;
        }
        const lg = tf.tidy(() => lmHead(w, tf.reshape(tf.slice(hidden, [0, hidden.shape[1] - 1, 0], [B, 1, d]), [B, d]) as tf.Tensor2D, lmHeadTransposed));
        hidden.dispose();
        const flat = (await lg.data()) as Float32Array;
        lg.dispose();
        const V = config.text.vocabSize;
        logits = prepared.map((_, r) => flat.slice(r * V, (r + 1) * V));
        steps++;
      }
      const decodeMs = now() - td;
      const totalMs = now() - tStart;
      return prepared.map((p, r): GenerateResult => {
        const n = generated[r]!.length;
        const crops = p.pre.crops;
        const seqBefore = p.inputIds.length;
        const rows = p.req.returnPrefillLogits === true ? lens[r]! : 1;
        const units = selUnits[r]!;
        const flops = prefillFlops(config, {
          crops,
          selectionCandidates: units.reduce((a, u) => a + u.candidates, 0),
          selectionKept: units.reduce((a, u) => a + u.kept, 0),
          ...(units.length > 1 ? { selectionUnits: units.map((u) => ({ candidates: u.candidates, kept: u.kept })) } : {}),
          sequenceLength: lens[r]!,
          logitRows: rows,
        });
        const flopsUnpruned = prefillFlops(config, { crops, selectionCandidates: 0, selectionKept: 0, sequenceLength: seqBefore, logitRows: rows === 1 ? 1 : seqBefore });
        const result: GenerateResult = {
          inputIds: p.inputIds,
          imageSpan: { start: p.spanStart, length: p.layout.tokens },
          kept: kepts[r]!,
          generatedIds: generated[r]!,
          text: tokenizer.decode(generated[r]!),
          stopReason: stopReason[r]!,
          report: {
            visualTokensBefore: p.layout.tokens,
            visualTokensAfter: kepts[r]!.length,
            sequenceLengthBefore: seqBefore,
            sequenceLengthAfter: lens[r]!,
            flops,
            flopsUnpruned,
            kvCacheBytes: B === 1 ? prefillKvBytes : kvBytesFor(config, lens[r]!),
            kvCacheBytesUnpruned: kvBytesFor(config, seqBefore),
            timings: {
              preprocessMs: p.preprocessMs,
              visionMs,
              selectionMs: selectionMs[r]!,
              prefillMs: prefillMs / B,
              decodeMsPerToken: n > 1 && steps > 0 ? decodeMs / steps : 0,
              totalMs: totalMs / B,
            },
            method: p.req.budget === undefined ? 'none' : (p.req.method ?? 'resprune'),
            budget: p.req.budget ?? null,
            policy: policies[r]!,
            units,
          },
          ...(prefillLogits[r] === undefined ? {} : { prefillLogits: prefillLogits[r] }),
          ...(p.req.returnStepLogits === true ? { stepLogits: stepLogits[r]! } : {}),
        };
        return result;
      });
    } finally {
      disposeKvCache(cache);
      for (const t of owned) t.dispose();
    }
  }

  return {
    config,
    imageProcessor,
    tokenizer,
    tensorLayout: weights.layout,
    backbone,
    weightBytes: weights.bytes,
    chatTemplate,
    selectionEngine,
    generate: async (request) => (await generateBatch([request]))[0]!,
    generateBatch,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of weights.tensors.values()) t.dispose();
    },
  };
}
