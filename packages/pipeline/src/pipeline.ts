import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { registerFastKernels, registerKernels, unregisterFastKernels } from '@resprune/linalg';
import { mulberry32 } from '@resprune/selector';
import { BackboneRegistry, promptFromInputIds, type BackboneAdapter, type BudgetPolicy, type HfConfigLike, type VisualLayout } from '@resprune/backbones';
import { loadWeights, locateWeights, readJsonFile, type LoadProgress, type TensorNameLayout } from './checkpoint.js';
import { kvBytesFor, prefillFlops, type PrefillFlops } from './flops.js';
import { decoderForward as runDecoder, disposeKvCache, kvCacheBytes, projectLogits, scopeWeights, type KvCache } from './models/llama.js';
import type { FamilyModelConfig, ModelFamily, ProcessedImage, WeightAccessor } from './family.js';
import { modelFamilies } from './families/index.js';
import { decodeRgb, decodeRgbFile } from '@resprune/image-processing/node';
import { promptTextVectors, registrySelector } from './defaults.js';
import { planPruning, type PrunedUnit, type PruneBudget, type TokenSelector } from './prune.js';
import {
  argmax,
  requestImages,
  sampleToken,
  throwIfAborted,
  validateGenerateRequest,
  type GenerateRequest,
} from './request.js';
import { loadCheckpointTokenizer, renderChatPrompt, type PipelineTokenizer } from './tokenizer.js';
import type { ModelFamilyRegistry } from './family.js';

/** Options of {@link loadPipeline}. */
export interface LoadPipelineOptions {
  /** Called after each weight tensor is read (drive a progress bar with it). */
  readonly onProgress?: (p: LoadProgress) => void;
  /** Cancels loading: it ends with `E_ABORTED` and frees every tensor read so far. */
  readonly signal?: AbortSignal;
  /** Jinja chat template to use instead of the checkpoint's. */
  readonly chatTemplate?: string;
  /** The model families to resolve config.json's `model_type` in (default {@link modelFamilies}: LLaVA and Qwen-VL). */
  readonly families?: ModelFamilyRegistry;
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
  /** Check every weight for NaN and ±Infinity as it loads (default true); a bad tensor fails with `E_NON_FINITE`. */
  readonly checkFinite?: boolean;
}

/** Which implementation runs the ResPrune greedy in a pipeline. */
export interface SelectionEngineInfo {
  /** `wasm-threads`, `wasm` or `js` for the fast engine; `plain` for the tfjs kernels. */
  readonly kind: 'wasm-threads' | 'wasm' | 'js' | 'plain';
  /** Threads that share each selection. */
  readonly threads: number;
}

/** Timings of one request in milliseconds (wall clock, after `dataSync` so backends have finished). */
export interface GenerationTimings {
  /** Decoding and preprocessing the images. */
  readonly preprocessMs: number;
  /** Vision encoder and connector (projector, NeXT packing, Qwen patch merger). */
  readonly visionMs: number;
  /** Text vectors and token selection. */
  readonly selectionMs: number;
  /** LLM prefill up to the first token's logits (0 for {@link LvlmPipeline.embed}). */
  readonly prefillMs: number;
  /** Mean time per generated token after the first (0 when fewer than 2 tokens). */
  readonly decodeMsPerToken: number;
  /** Whole request. */
  readonly totalMs: number;
}

/** What a request reports about its cost. */
export interface GenerationReport {
  /** Visual tokens produced by the connector over all images (before pruning). */
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

/**
 * What the decoder received: the pruned input embeddings and their position ids, in the form HF transformers'
 * `model(inputs_embeds=…, position_ids=…)` takes them (add a batch axis).
 *
 * @example
 * ```ts
 * const e = result.embeddings!;
 * writeNpy(e.inputsEmbeds, [e.length, e.hiddenSize]);
 * ```
 */
export interface LlmInputs {
  /** Rows of the pruned sequence (L'). */
  readonly length: number;
  /** Hidden size of the decoder. */
  readonly hiddenSize: number;
  /** `[L', hidden]` row-major input embeddings. */
  readonly inputsEmbeds: Float32Array;
  /** Position ids, row-major in {@link LlmInputs.positionShape}. */
  readonly positionIds: Int32Array;
  /** `[L']` for 1-D RoPE (LLaVA), `[3, L']` for M-RoPE (Qwen: t, h and w ids). */
  readonly positionShape: readonly [number] | readonly [3, number];
  /** First position id of generated tokens (on every M-RoPE axis). */
  readonly nextPosition: number;
}

/** What {@link LvlmPipeline.embed} returns: the pruned LLM input, before any prefill. */
export interface EmbedResult {
  /** Prompt ids with each image placeholder expanded to the image's tokens (before pruning). */
  readonly inputIds: number[];
  /** Where each image's span lies in `inputIds`, in prompt order. */
  readonly imageSpans: readonly { readonly start: number; readonly length: number }[];
  /** Where the first image's span lies in `inputIds`. */
  readonly imageSpan: { readonly start: number; readonly length: number };
  /** Kept visual-token indices, 0-based over all images' tokens in prompt order (within the span for one image), ascending. */
  readonly kept: Int32Array;
  /** Row indices of `inputIds` that reach the decoder, ascending. */
  readonly keptRows: Int32Array;
  /** What the decoder receives. */
  readonly embeddings: LlmInputs;
  /** Cost report (no prefill or decode). */
  readonly report: GenerationReport;
}

/** Result of one request. */
export interface GenerateResult {
  /** Prompt ids with each image placeholder expanded to the image's tokens (before pruning). */
  readonly inputIds: number[];
  /** Where the first image's span lies in `inputIds`. */
  readonly imageSpan: { readonly start: number; readonly length: number };
  /** Where each image's span lies in `inputIds`, in prompt order. */
  readonly imageSpans: readonly { readonly start: number; readonly length: number }[];
  /** Kept visual-token indices, 0-based over all images' tokens in prompt order (within the span for one image), ascending. */
  readonly kept: Int32Array;
  /** Row indices of `inputIds` that reached the decoder, ascending. */
  readonly keptRows: Int32Array;
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
  /** What the decoder received, when requested ({@link GenerateRequest.returnEmbeddings}). */
  readonly embeddings?: LlmInputs;
  /** Cost report. */
  readonly report: GenerationReport;
}

/** A loaded LVLM, reusable across requests. */
export interface LvlmPipeline {
  /** The model family that runs the checkpoint (`llava`, `qwen2-vl`). */
  readonly family: ModelFamily;
  /** Parsed config (the family's own type; `text` is the decoder's). */
  readonly config: FamilyModelConfig;
  /** The checkpoint's tokenizer. */
  readonly tokenizer: PipelineTokenizer;
  /** Name layout of the checkpoint's tensors. */
  readonly tensorLayout: TensorNameLayout;
  /**
   * The backbone adapter (`@resprune/backbone-llava`, `@resprune/backbone-qwen-vl`) resolved from config.json and
   * preprocessor_config.json: it gives each image's token layout, splits budgets, and compacts the LLM input (which
   * rows stay, and their position ids).
   */
  readonly backbone: BackboneAdapter;
  /** Float32 bytes of the loaded weights. */
  readonly weightBytes: number;
  /** Chat template in use. */
  readonly chatTemplate: string;
  /** What runs the ResPrune greedy (see {@link LoadPipelineOptions.fastSelection}). */
  readonly selectionEngine: SelectionEngineInfo;
  /**
   * Runs one request. Concurrent calls on one pipeline run one after another, in call order.
   * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_DECODE`, `E_TOKENIZER`, `E_BUDGET`, `E_INVALID_OPTION`,
   *   `E_LIMIT`, `E_ABORTED`, `E_MODEL`
   */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /**
   * Runs several requests as one batch (left-padded LLM prefill and decode). Each row's output equals what
   * {@link LvlmPipeline.generate} gives for it alone (up to float rounding).
   * @throws {@link @resprune/errors!ResPruneError} as {@link LvlmPipeline.generate}
   */
  generateBatch(requests: readonly GenerateRequest[]): Promise<GenerateResult[]>;
  /**
   * Prepares, encodes and prunes one request and stops before the prefill: the pruned `inputs_embeds`, position
   * ids and kept tokens, for another engine (HF transformers, vLLM prompt embeddings) to run.
   * @throws {@link @resprune/errors!ResPruneError} as {@link LvlmPipeline.generate}
   */
  embed(request: GenerateRequest): Promise<EmbedResult>;
  /**
   * The text vectors `[M, hidden]` that condition the selection for a prompt (its nouns' rows of the embedding
   * table, through {@link LoadPipelineOptions.textVectors}), or undefined when there are none. The caller disposes them.
   */
  textVectors(prompt: string): tf.Tensor2D | undefined;
  /** Frees every weight tensor. The pipeline cannot be used afterwards. */
  dispose(): void;
}

function now(): number {
  return performance.now();
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

/** A request after preprocessing and tokenizing. */
interface Prepared {
  readonly req: GenerateRequest;
  readonly images: readonly ProcessedImage[];
  readonly layout: VisualLayout;
  readonly inputIds: number[];
  readonly spans: { start: number; length: number }[];
  readonly preprocessMs: number;
}

/** A request after vision, selection and compaction: the decoder's input rows. */
interface Compacted {
  readonly kept: Int32Array;
  readonly keptRows: Int32Array;
  /** Position ids of the kept rows, axis-major `[axes, L']`. */
  readonly positions: Int32Array;
  readonly nextPosition: number;
  readonly embeds: tf.Tensor2D;
  readonly units: readonly PrunedUnit[];
  readonly policy: BudgetPolicy | null;
  readonly selectionMs: number;
}

/**
 * Loads a vision-language checkpoint directory as published on the Hugging Face hub: config.json (its
 * `model_type` picks the {@link ModelFamily}: `llava`, `llava_next`, `qwen2_vl`, `qwen2_5_vl`), safetensors weights
 * (single file or sharded with an index), tokenizer.json / tokenizer_config.json with a chat template,
 * preprocessor_config.json. Weights are read shard by shard into float32 tensors on the active tfjs backend.
 *
 * @param dir - checkpoint directory
 * @param options - progress callback, cancel signal, template override, selector and text-vector hooks
 * @returns the loaded pipeline; call `dispose()` to free it
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND`, `E_CHECKPOINT`, `E_SAFETENSORS`, `E_FILE_CORRUPT`,
 *   `E_TENSOR_MISSING`, `E_TENSOR_SHAPE`, `E_NON_FINITE`, `E_BACKBONE_UNKNOWN`, `E_BACKBONE_CONFIG`, `E_TOKENIZER`,
 *   `E_ABORTED`; nothing stays allocated after an error
 * @example
 * ```ts
 * const lvlm = await loadPipeline('llava-1.5-7b-hf');
 * const out = await lvlm.generate({ image: 'dog.jpg', prompt: 'What is the dog doing?', budget: { keep: 128 } });
 * console.log(out.text, out.report.visualTokensAfter);
 * lvlm.dispose();
 * ```
 */
export async function loadPipeline(dir: string, options: LoadPipelineOptions = {}): Promise<LvlmPipeline> {
  throwIfAborted(options.signal, 'loadPipeline');
  const files = locateWeights(dir);
  const rawConfig = readJsonFile(join(dir, 'config.json')) as HfConfigLike;
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) {
    throw new ResPruneError('E_CHECKPOINT', `${join(dir, 'config.json')}: expected a JSON object.`, { details: { file: join(dir, 'config.json') } });
  }
  const family = (options.families ?? modelFamilies).resolve(rawConfig);
  const prePath = join(dir, 'preprocessor_config.json');
  const preRaw = existsSync(prePath) ? (readJsonFile(prePath) as HfConfigLike) : undefined;
  const config = family.parseConfig(rawConfig, preRaw, dir);
  const backbone = new BackboneRegistry();
  for (const spec of family.backbones) backbone.register(spec);
  const adapter = backbone.fromConfig(rawConfig, preRaw);
  const tok = loadCheckpointTokenizer(dir);
  const chatTemplate = options.chatTemplate ?? tok.chatTemplate;
  if (chatTemplate === undefined) {
    throw new ResPruneError('E_TOKENIZER', `${dir}: no chat template (chat_template.json, chat_template.jinja or tokenizer_config.json "chat_template"); pass options.chatTemplate.`, {
      details: { file: dir },
    });
  }
  const genPath = join(dir, 'generation_config.json');
  const genCfg = existsSync(genPath) ? (readJsonFile(genPath) as Record<string, unknown>) : {};
  const stopIds = new Set<number>(config.eosTokenIds);
  const ge = genCfg?.['eos_token_id'];
  for (const v of Array.isArray(ge) ? ge : [ge]) if (typeof v === 'number') stopIds.add(v);
  if (tok.tokenizer.eosTokenId !== undefined) stopIds.add(tok.tokenizer.eosTokenId);
  const selectionEngine = await prepareSelection(options.fastSelection ?? true);
  const layout = family.weights.layout([...files.weightMap.keys()]);
  const weights = await loadWeights({ ...files, layout }, family.weights.spec(config), {
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    fallbacks: family.weights.fallbacks(config),
    transpose: (name) => family.weights.transpose(name),
    storedName: (name, l) => family.weights.storedName(name, l),
    checkFinite: options.checkFinite ?? true,
  });
  const lmHeadTransposed = weights.transposed.has(family.weights.lmHead);
  const w: WeightAccessor = (name) => {
    const t = weights.tensors.get(name);
    if (t === undefined) throw new ResPruneError('E_INTERNAL', `pipeline: weight "${name}" was not loaded.`);
    return t;
  };
  const embedTable = w(`${family.weights.decoderPrefix}embed_tokens.weight`) as tf.Tensor2D;
  const tokenizer = tok.tokenizer;
  const text = config.text;
  const d = text.hiddenSize;
  const axes = adapter.positionScheme === 'mrope' ? 3 : 1;
  // The image placeholder has one home: the adapter (from config.json); the family's parse only supplies
  // transformers' default where the config has none (llava-hf's 32000).
  if (adapter.imageTokenId !== undefined && adapter.imageTokenId !== config.imageTokenId) {
    throw new ResPruneError('E_INTERNAL', `pipeline: the ${adapter.id} adapter reads image token ${adapter.imageTokenId}, the ${family.id} family ${config.imageTokenId}.`);
  }
  const imageTokenId = adapter.imageTokenId ?? config.imageTokenId;
  let disposed = false;

  const textVectors = (prompt: string): tf.Tensor2D | undefined => (options.textVectors ?? promptTextVectors)(prompt, tokenizer, embedTable);

  // ── prepare: template, tokenize, preprocess ───────────────────────────────────────────────
  async function prepare(req: GenerateRequest): Promise<Prepared> {
    const t0 = now();
    const inputs = requestImages(req);
    const images: ProcessedImage[] = [];
    for (const input of inputs) {
      throwIfAborted(req.signal, 'generate');
      const decodeOptions = req.signal === undefined ? {} : { signal: req.signal };
      const rgb = typeof input === 'string' ? await decodeRgbFile(input, decodeOptions) : input instanceof Uint8Array ? await decodeRgb(input) : input;
      images.push(await family.preprocess(rgb, config));
    }
    const preprocessMs = now() - t0;
    const layout = adapter.layout(images.map((p) => p.size));
    const rendered = renderChatPrompt(chatTemplate!, req.prompt, { bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken }, images.length);
    const addSpecial = tokenizer.bosToken === undefined || !rendered.startsWith(tokenizer.bosToken);
    const ids = tokenizer.encode(rendered, addSpecial);
    const at = ids.flatMap((id, i) => (id === imageTokenId ? [i] : []));
    if (at.length !== images.length) {
      throw new ResPruneError(
        'E_TOKENIZER',
        `generate: the rendered prompt has ${at.length} image placeholder tokens (id ${imageTokenId}); expected ${images.length}, one per image. Is the placeholder an added token of tokenizer.json, and does the chat template emit it?`,
      );
    }
    const bad = ids.find((id) => id !== imageTokenId && (id < 0 || id >= text.vocabSize));
    if (bad !== undefined) throw new ResPruneError('E_TOKENIZER', `generate: token id ${bad} is outside the model's vocabulary of ${text.vocabSize}.`);
    const inputIds: number[] = [];
    const spans: { start: number; length: number }[] = [];
    let k = 0;
    for (const id of ids) {
      if (id !== imageTokenId) {
        inputIds.push(id);
        continue;
      }
      const n = layout.images[k++]!.length;
      spans.push({ start: inputIds.length, length: n });
      for (let j = 0; j < n; j++) inputIds.push(id);
    }
    const maxNew = req.maxNewTokens ?? 32;
    if (inputIds.length + maxNew > config.maxPositions) {
      throw new ResPruneError(
        'E_LIMIT',
        `generate: the prompt is ${inputIds.length} tokens with its images (before pruning) and asks for ${maxNew} new tokens; the model's context (max_position_embeddings) is ${config.maxPositions}. Shorten the prompt, lower maxNewTokens, or use fewer or smaller images.`,
        { details: { promptTokens: inputIds.length, maxNewTokens: maxNew, maxPositions: config.maxPositions } },
      );
    }
    return { req, images, layout, inputIds, spans, preprocessMs };
  }

  // ── encode + prune + compact: the decoder's rows and positions ─────────────────────────────
  async function compactRequest(p: Prepared, visual: tf.Tensor2D): Promise<Compacted> {
    const ts = now();
    const req = p.req;
    const newlines = req.newlines ?? 'keep-rows';
    let picked: ArrayLike<number>;
    let units: readonly PrunedUnit[] = [];
    let policy: BudgetPolicy | null = null;
    if (req.budget === undefined) {
      picked = Int32Array.from({ length: p.layout.tokens }, (_, j) => j);
    } else {
      const textVec = textVectors(req.prompt);
      try {
        const plan = await planPruning(visual, p.layout, adapter, req.budget, {
          selector: options.selector ?? registrySelector,
          method: req.method ?? 'resprune',
          ...(req.alpha === undefined ? {} : { alpha: req.alpha }),
          ...(textVec === undefined ? {} : { text: textVec }),
          ...(req.policy === undefined ? {} : { policy: req.policy }),
          newlines,
        });
        picked = plan.picked;
        units = plan.units;
        policy = plan.plan.policy;
      } finally {
        textVec?.dispose();
      }
    }
    const compacted = adapter.compact(p.layout, picked, {
      prompt: promptFromInputIds(p.inputIds, imageTokenId, p.layout),
      newlines: req.budget === undefined ? 'select' : newlines,
    });
    if (compacted.positions.scheme !== adapter.positionScheme) {
      throw new ResPruneError('E_INTERNAL', `generate: the ${adapter.id} adapter numbered positions "${compacted.positions.scheme}", its scheme is "${adapter.positionScheme}".`);
    }
    const L = compacted.keep.length;
    const positions = new Int32Array(axes * L);
    if (compacted.positions.scheme === 'mrope') {
      compacted.positions.ids.forEach((tri, j) => {
        positions[j] = tri[0];
        positions[L + j] = tri[1];
        positions[2 * L + j] = tri[2];
      });
    } else {
      positions.set(compacted.positions.ids);
    }
    // Gather the kept rows: text rows from the embedding table, image rows from the connector's output.
    const textIds: number[] = [];
    const order = new Int32Array(L);
    const keptVisual = Int32Array.from(compacted.visual);
    let vi = 0;
    compacted.keep.forEach((row, j) => {
      if (p.inputIds[row] === imageTokenId) order[j] = -1 - vi++;
      else order[j] = textIds.push(p.inputIds[row]!) - 1;
    });
    for (let j = 0; j < L; j++) if (order[j]! < 0) order[j] = textIds.length + (-1 - order[j]!);
    const embeds = tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (textIds.length > 0) parts.push(tf.gather(embedTable, tf.tensor1d(textIds, 'int32')));
      if (keptVisual.length > 0) parts.push(tf.gather(visual, tf.tensor1d(keptVisual, 'int32')));
      return tf.gather(tf.concat(parts, 0), tf.tensor1d(order, 'int32')) as tf.Tensor2D;
    });
    return {
      kept: keptVisual,
      keptRows: Int32Array.from(compacted.keep),
      positions,
      nextPosition: compacted.nextPosition,
      embeds,
      units,
      policy,
      selectionMs: now() - ts,
    };
  }

  function report(p: Prepared, c: Compacted, timings: GenerationTimings, logitRows: number, kvBytes: number): GenerationReport {
    const vision = family.visionFlops(config, p.images);
    const L = c.keptRows.length;
    const before = p.inputIds.length;
    const units = c.units;
    return {
      visualTokensBefore: p.layout.tokens,
      visualTokensAfter: c.kept.length,
      sequenceLengthBefore: before,
      sequenceLengthAfter: L,
      flops: prefillFlops(text, vision, {
        selectionCandidates: units.reduce((a, u) => a + u.candidates, 0),
        selectionKept: units.reduce((a, u) => a + u.kept, 0),
        ...(units.length > 1 ? { selectionUnits: units.map((u) => ({ candidates: u.candidates, kept: u.kept })) } : {}),
        sequenceLength: L,
        logitRows,
      }),
      flopsUnpruned: prefillFlops(text, vision, { selectionCandidates: 0, selectionKept: 0, sequenceLength: before, logitRows: logitRows === 1 ? 1 : before }),
      kvCacheBytes: kvBytes,
      kvCacheBytesUnpruned: kvBytesFor(text, before),
      timings,
      method: p.req.budget === undefined ? 'none' : (p.req.method ?? 'resprune'),
      budget: p.req.budget ?? null,
      policy: c.policy,
      units,
    };
  }

  async function llmInputs(c: Compacted): Promise<LlmInputs> {
    const L = c.keptRows.length;
    return {
      length: L,
      hiddenSize: d,
      inputsEmbeds: (await c.embeds.data()) as Float32Array,
      positionIds: c.positions.slice(),
      positionShape: axes === 3 ? [3, L] : [L],
      nextPosition: c.nextPosition,
    };
  }

  /** Vision and pruning of every request; the caller disposes the `embeds` of what it gets. */
  async function encodeAll(prepared: readonly Prepared[]): Promise<{ compacted: Compacted[]; visionMs: number[] }> {
    const compacted: Compacted[] = [];
    const visionMs: number[] = [];
    try {
      for (const p of prepared) {
        throwIfAborted(p.req.signal, 'generate');
        const tv = now();
        const perImage = family.encode(config, w, p.images, p.layout);
        const visual = tf.tidy(() => (perImage.length === 1 ? perImage[0]! : (tf.concat(perImage, 0) as tf.Tensor2D)));
        if (perImage.length > 1) perImage.forEach((t) => t.dispose());
        try {
          if (visual.shape[0] !== p.layout.tokens || visual.shape[1] !== d) {
            throw new ResPruneError('E_INTERNAL', `generate: the ${family.id} encoder made [${visual.shape.join(', ')}] visual rows, the layout says [${p.layout.tokens}, ${d}].`);
          }
          await visual.data();
          visionMs.push(now() - tv);
          throwIfAborted(p.req.signal, 'generate');
          compacted.push(await compactRequest(p, visual));
        } finally {
          visual.dispose();
        }
      }
    } catch (e) {
      for (const c of compacted) c.embeds.dispose();
      throw e;
    }
    return { compacted, visionMs };
  }

  async function prepareAll(requests: readonly GenerateRequest[]): Promise<Prepared[]> {
    if (disposed) throw new ResPruneError('E_MODEL', 'generate: the pipeline was disposed.');
    if (requests.length === 0) throw new ResPruneError('E_EMPTY_INPUT', 'generateBatch: no requests.');
    requests.forEach((r, i) => validateGenerateRequest(r, requests.length === 1 ? 'generate' : `generate (request ${i})`));
    const useCache = requests.map((r) => r.useKvCache ?? true);
    if (useCache.some((u) => u !== useCache[0])) {
      throw new ResPruneError('E_INVALID_OPTION', 'generateBatch: useKvCache must be the same for every request of a batch.');
    }
    const prepared: Prepared[] = [];
    for (const r of requests) prepared.push(await prepare(r));
    return prepared;
  }

  const decoderWeights = scopeWeights(w, family.weights.decoderPrefix);
  const lmHeadWeight = w(family.weights.lmHead);
  /** The decoder over `[B, T, d]` embeddings with axis-major position rows `[axes · T]` per row. */
  function decoderForward(inputs: tf.Tensor3D, valid: readonly Uint8Array[], positions: readonly Int32Array[], cache: KvCache | undefined) {
    return runDecoder(text, decoderWeights, inputs, valid, positions, cache);
  }
  const lmHead = (hidden: tf.Tensor2D): tf.Tensor2D => projectLogits(lmHeadWeight, hidden, lmHeadTransposed);

  async function generateBatchNow(requests: readonly GenerateRequest[]): Promise<GenerateResult[]> {
    const tStart = now();
    const prepared = await prepareAll(requests);
    const B = prepared.length;
    const { compacted, visionMs } = await encodeAll(prepared);
    let cache: KvCache | undefined;
    const owned: tf.Tensor[] = compacted.map((c) => c.embeds);
    try {
      const embeddings = await Promise.all(prepared.map((p, r) => (p.req.returnEmbeddings === true ? llmInputs(compacted[r]!) : Promise.resolve(undefined))));
      // Left-pad every row to a common length.
      const lens = compacted.map((c) => c.keptRows.length);
      const Lmax = Math.max(...lens);
      const inputs = tf.tidy(() =>
        tf.stack(compacted.map((c, r) => (Lmax > lens[r]! ? tf.concat([tf.zeros([Lmax - lens[r]!, d]), c.embeds], 0) : c.embeds))),
      ) as tf.Tensor3D;
      owned.push(inputs);
      const valid = lens.map((l) => {
        const v = new Uint8Array(Lmax);
        v.fill(1, Lmax - l);
        return v;
      });
      /** Position rows `[axes · T]` for a sequence of T slots: padding, the prompt's ids, then generated tokens. */
      const positionRows = (T: number): Int32Array[] =>
        compacted.map((c, r) => {
          const pad = Lmax - lens[r]!;
          const out = new Int32Array(axes * T);
          for (let a = 0; a < axes; a++) {
            out.set(c.positions.subarray(a * lens[r]!, (a + 1) * lens[r]!), a * T + pad);
            for (let t = Lmax; t < T; t++) out[a * T + t] = c.nextPosition + (t - Lmax);
          }
          return out;
        });
      const useCache = prepared[0]!.req.useKvCache ?? true;
      // Prefill.
      const tp = now();
      const pre = decoderForward(inputs, valid, positionRows(Lmax), undefined);
      cache = { ...pre.cache, nextPosition: compacted.map((c) => c.nextPosition) };
      const prefillLogits: (Float32Array | undefined)[] = [];
      const lastLogits: Float32Array[] = [];
      for (let r = 0; r < B; r++) {
        const want = prepared[r]!.req.returnPrefillLogits === true;
        const rows = tf.tidy(() => {
          const h = tf.reshape(tf.slice(pre.hidden, [r, want ? Lmax - lens[r]! : Lmax - 1, 0], [1, want ? lens[r]! : 1, d]), [-1, d]) as tf.Tensor2D;
          return lmHead(h);
        });
        const data = (await rows.data()) as Float32Array;
        rows.dispose();
        prefillLogits.push(want ? data : undefined);
        lastLogits.push(want ? data.slice((lens[r]! - 1) * text.vocabSize) : data);
      }
      pre.hidden.dispose();
      const prefillMs = now() - tp;
      const prefillKvBytes = kvCacheBytes(cache) / B;
      if (!useCache) {
        disposeKvCache(cache);
        cache = undefined;
      }
      // Decode.
      const generated: number[][] = prepared.map(() => []);
      const stepLogits: Float32Array[][] = prepared.map(() => []);
      const done = prepared.map((p) => (p.req.maxNewTokens ?? 32) === 0);
      const stopReason: ('stop-token' | 'max-new-tokens')[] = prepared.map(() => 'max-new-tokens');
      const rands = prepared.map((p) => mulberry32(p.req.sampling?.seed ?? 0));
      const stops = prepared.map((p) => new Set(p.req.stopTokenIds ?? [...stopIds]));
      let logits = lastLogits;
      const td = now();
      let steps = 0;
      const allEmbeds: tf.Tensor3D[] = [inputs];
      for (;;) {
        const next: number[] = [];
        for (let r = 0; r < B; r++) {
          const p = prepared[r]!;
          if (done[r]) {
            next.push(stops[r]!.values().next().value ?? 0);
            continue;
          }
          const l = logits[r]!;
          const id = p.req.sampling === undefined ? argmax(l) : sampleToken(l, p.req.sampling, rands[r]!);
          generated[r]!.push(id);
          if (p.req.returnStepLogits === true) stepLogits[r]!.push(l);
          if (stops[r]!.has(id)) {
            done[r] = true;
            stopReason[r] = 'stop-token';
          } else if (generated[r]!.length >= (p.req.maxNewTokens ?? 32)) done[r] = true;
          next.push(id);
        }
        if (done.every(Boolean)) break;
        for (const p of prepared) throwIfAborted(p.req.signal, 'generate');
        const step = tf.tidy(() => tf.reshape(tf.gather(embedTable, tf.tensor1d(next, 'int32')), [B, 1, d]) as tf.Tensor3D);
        owned.push(step);
        let hidden: tf.Tensor3D;
        if (cache !== undefined) {
          const pos = cache.nextPosition.map((q) => new Int32Array(axes).fill(q));
          const out = decoderForward(step, next.map(() => Uint8Array.of(1)), pos, cache);
          disposeKvCache(cache);
          cache = { ...out.cache, nextPosition: cache.nextPosition.map((q) => q + 1) };
          hidden = out.hidden;
        } else {
          // Recompute the whole sequence: the prefill inputs plus every generated token so far.
          allEmbeds.push(step);
          const seq = tf.concat(allEmbeds, 1) as tf.Tensor3D;
          const T = seq.shape[1];
          const v = lens.map((l) => {
            const a = new Uint8Array(T);
            a.fill(1, Lmax - l);
            return a;
          });
          const out = decoderForward(seq, v, positionRows(T), undefined);
          seq.dispose();
          disposeKvCache(out.cache);
          hidden = out.hidden;
        }
        const lg = tf.tidy(() => lmHead(tf.reshape(tf.slice(hidden, [0, hidden.shape[1] - 1, 0], [B, 1, d]), [B, d]) as tf.Tensor2D));
        hidden.dispose();
        const flat = (await lg.data()) as Float32Array;
        lg.dispose();
        const V = text.vocabSize;
        logits = prepared.map((_, r) => flat.slice(r * V, (r + 1) * V));
        steps++;
      }
      const decodeMs = now() - td;
      const totalMs = now() - tStart;
      return prepared.map((p, r): GenerateResult => {
        const c = compacted[r]!;
        const n = generated[r]!.length;
        const e = embeddings[r];
        return {
          inputIds: p.inputIds,
          imageSpan: p.spans[0]!,
          imageSpans: p.spans,
          kept: c.kept,
          keptRows: c.keptRows,
          generatedIds: generated[r]!,
          text: tokenizer.decode(generated[r]!),
          stopReason: stopReason[r]!,
          report: report(
            p,
            c,
            {
              preprocessMs: p.preprocessMs,
              visionMs: visionMs[r]!,
              selectionMs: c.selectionMs,
              prefillMs: prefillMs / B,
              decodeMsPerToken: n > 1 && steps > 0 ? decodeMs / steps : 0,
              totalMs: totalMs / B,
            },
            p.req.returnPrefillLogits === true ? lens[r]! : 1,
            B === 1 ? prefillKvBytes : kvBytesFor(text, lens[r]!),
          ),
          ...(prefillLogits[r] === undefined ? {} : { prefillLogits: prefillLogits[r] }),
          ...(p.req.returnStepLogits === true ? { stepLogits: stepLogits[r]! } : {}),
          ...(e === undefined ? {} : { embeddings: e }),
        };
      });
    } finally {
      disposeKvCache(cache);
      for (const t of owned) t.dispose();
    }
  }

  async function embedNow(request: GenerateRequest): Promise<EmbedResult> {
    const tStart = now();
    const [p] = await prepareAll([request]);
    const { compacted, visionMs } = await encodeAll([p!]);
    const c = compacted[0]!;
    try {
      const embeddings = await llmInputs(c);
      const timings: GenerationTimings = {
        preprocessMs: p!.preprocessMs,
        visionMs: visionMs[0]!,
        selectionMs: c.selectionMs,
        prefillMs: 0,
        decodeMsPerToken: 0,
        totalMs: now() - tStart,
      };
      return {
        inputIds: p!.inputIds,
        imageSpans: p!.spans,
        imageSpan: p!.spans[0]!,
        kept: c.kept,
        keptRows: c.keptRows,
        embeddings,
        report: report(p!, c, timings, 1, kvBytesFor(text, c.keptRows.length)),
      };
    } finally {
      c.embeds.dispose();
    }
  }

  // One request at a time per pipeline: concurrent calls queue in call order.
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;
  const freeWeights = (): void => {
    for (const t of weights.tensors.values()) if (!t.isDisposed) t.dispose();
  };
  function exclusive<T>(run: () => Promise<T>): Promise<T> {
    pending++;
    const result = queue.then(run, run).finally(() => {
      pending--;
      if (disposed && pending === 0) freeWeights();
    });
    queue = result.catch(() => undefined);
    return result;
  }

  return {
    family,
    config,
    tokenizer,
    tensorLayout: weights.layout,
    backbone: adapter,
    weightBytes: weights.bytes,
    chatTemplate,
    selectionEngine,
    generate: async (request) => (await exclusive(() => generateBatchNow([request])))[0]!,
    generateBatch: (requests) => exclusive(() => generateBatchNow(requests)),
    embed: (request) => exclusive(() => embedNow(request)),
    textVectors,
    dispose() {
      if (disposed) return;
      disposed = true;
      // Requests already queued finish first; the last one frees the weights.
      if (pending === 0) freeWeights();
    },
  };
}
