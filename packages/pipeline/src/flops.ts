import type { LlavaModelConfig } from './config.js';
import { featureLayers } from './config.js';

/** Analytic floating-point operations of one prefill, per component (a multiply-add counts as 2). */
export interface PrefillFlops {
  /** CLIP tower over every crop (patch embedding, the encoder layers that run). */
  readonly vision: number;
  /** The two projector linears over every crop's tokens. */
  readonly projector: number;
  /** Token selection: about `2·N·K·d` for the greedy residual-energy selector (one Gram row per pick). */
  readonly selection: number;
  /** LLM attention: Q/K/V/O projections plus the score and context products over the causal window. */
  readonly llmAttention: number;
  /** LLM SwiGLU MLPs. */
  readonly llmMlp: number;
  /** Output projection for the rows whose logits are computed. */
  readonly lmHead: number;
  /** Sum of the above. */
  readonly total: number;
}

/** Inputs of {@link prefillFlops}. */
export interface PrefillShape {
  /** Crops through the vision tower (1 for LLaVA-1.5). */
  readonly crops: number;
  /** Visual candidates the selector scored (N), 0 without pruning. */
  readonly selectionCandidates: number;
  /** Tokens the selector kept (K), 0 without pruning. */
  readonly selectionKept: number;
  /**
   * Per-unit sizes when the budget was split (per-view or per-crop policies): the selection then costs
   * `Σ 2·Nᵤ·Kᵤ·d` instead of `2·N·K·d`. Omit for one unit.
   */
  readonly selectionUnits?: ReadonlyArray<{ readonly candidates: number; readonly kept: number }>;
  /** Sequence length entering the LLM (after pruning). */
  readonly sequenceLength: number;
  /** Rows passed through `lm_head` (1 for generation, L' when dumping logits). */
  readonly logitRows: number;
}

/**
 * Analytic prefill FLOPs of a LLaVA model, per component. Attention score/context products count the causal
 * half (`L(L+1)/2` query–key pairs), projections and MLPs count `2 · rows · in · out`.
 *
 * @param cfg - parsed config
 * @param shape - crop count, selection sizes, LLM sequence length and logit rows
 * @returns FLOPs per component
 * @example
 * ```ts
 * prefillFlops(cfg, { crops: 1, selectionCandidates: 576, selectionKept: 128, sequenceLength: 160, logitRows: 1 }).total;
 * ```
 */
export function prefillFlops(cfg: LlavaModelConfig, shape: PrefillShape): PrefillFlops {
  const v = cfg.vision;
  const g = v.imageSize / v.patchSize;
  const t = g * g + 1;
  const c = v.hiddenSize;
  const { indices, layersNeeded } = featureLayers(cfg);
  const perCropLayer = 2 * t * c * c * 4 + 2 * 2 * t * t * c + 2 * 2 * t * c * v.intermediateSize;
  const vision = shape.crops * (2 * g * g * c * v.numChannels * v.patchSize * v.patchSize + layersNeeded * perCropLayer);
  const d = cfg.text.hiddenSize;
  const perCrop = cfg.visionFeatureSelectStrategy === 'default' ? g * g : t;
  const projector = shape.crops * 2 * perCrop * (c * indices.length * d + d * d);
  const selection =
    shape.selectionUnits === undefined
      ? 2 * shape.selectionCandidates * shape.selectionKept * d
      : shape.selectionUnits.reduce((a, u) => a + 2 * u.candidates * u.kept * d, 0);
  const L = shape.sequenceLength;
  const tc = cfg.text;
  const qd = tc.numHeads * tc.headDim;
  const kvd = tc.numKvHeads * tc.headDim;
  const pairs = (L * (L + 1)) / 2;
  const llmAttention = tc.numLayers * (2 * L * d * (qd + 2 * kvd) + 2 * L * qd * d + 2 * 2 * pairs * qd);
  const llmMlp = tc.numLayers * 2 * L * d * tc.intermediateSize * 3;
  const lmHead = 2 * shape.logitRows * d * tc.vocabSize;
  return { vision, projector, selection, llmAttention, llmMlp, lmHead, total: vision + projector + selection + llmAttention + llmMlp + lmHead };
}

/**
 * Bytes of a float32 KV cache holding `length` tokens: `2 · layers · kvHeads · headDim · length · 4`.
 *
 * @param cfg - parsed config
 * @param length - cached tokens
 * @param bytesPerValue - 4 for float32 (this implementation), 2 for a float16 cache
 * @returns bytes
 * @example
 * ```ts
 * kvBytesFor(cfg, 600); // 2 × 32 × 32 × 128 × 600 × 4 for LLaVA-1.5-7B
 * ```
 */
export function kvBytesFor(cfg: LlavaModelConfig, length: number, bytesPerValue = 4): number {
  return 2 * cfg.text.numLayers * cfg.text.numKvHeads * cfg.text.headDim * length * bytesPerValue;
}
