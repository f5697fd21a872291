import type { LlamaTextConfig } from './config.js';
import type { VisionFlops } from './family.js';

/**
 * Analytic floating-point operations of one prefill, per component (a multiply-add counts as 2).
 *
 * @example
 * ```ts
 * const f: PrefillFlops = result.report.flops;
 * console.log(f.total / result.report.flopsUnpruned.total);
 * ```
 */
export interface PrefillFlops {
  /** Vision encoder over every crop or patch (patch embedding, the encoder layers that run). */
  readonly vision: number;
  /** The connector: LLaVA's projector linears, or Qwen's patch merger. */
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

/**
 * Inputs of {@link prefillFlops}.
 *
 * @example
 * ```ts
 * const shape: PrefillShape = { selectionCandidates: 576, selectionKept: 128, sequenceLength: 170, logitRows: 1 };
 * ```
 */
export interface PrefillShape {
  /** Visual candidates the selector scored (N), 0 without pruning. */
  readonly selectionCandidates: number;
  /** Tokens the selector kept (K), 0 without pruning. */
  readonly selectionKept: number;
  /**
   * Per-unit sizes when the budget was split (per-view or per-crop policies, several images): the selection then
   * costs `Σ 2·Nᵤ·Kᵤ·d` instead of `2·N·K·d`. Omit for one unit.
   */
  readonly selectionUnits?: ReadonlyArray<{ readonly candidates: number; readonly kept: number }>;
  /** Sequence length entering the LLM (after pruning). */
  readonly sequenceLength: number;
  /** Rows passed through `lm_head` (1 for generation, L' when dumping logits). */
  readonly logitRows: number;
}

/**
 * Analytic FLOPs of one prefill: the family's vision side (from `ModelFamily.visionFlops`) plus selection and the
 * decoder over the pruned sequence.
 *
 * @param text - the decoder's config
 * @param vision - the vision encoder's and connector's FLOPs for the request's images
 * @param shape - selection sizes, sequence length and logit rows
 * @returns FLOPs per component and their total
 * @example
 * ```ts
 * prefillFlops(cfg.text, { vision: 0, projector: 0 }, { selectionCandidates: 0, selectionKept: 0, sequenceLength: 600, logitRows: 1 }).total;
 * ```
 */
export function prefillFlops(text: LlamaTextConfig, vision: VisionFlops, shape: PrefillShape): PrefillFlops {
  const d = text.hiddenSize;
  const selection =
    shape.selectionUnits === undefined
      ? 2 * shape.selectionCandidates * shape.selectionKept * d
      : shape.selectionUnits.reduce((a, u) => a + 2 * u.candidates * u.kept * d, 0);
  const L = shape.sequenceLength;
  const qd = text.numHeads * text.headDim;
  const kvd = text.numKvHeads * text.headDim;
  const pairs = (L * (L + 1)) / 2;
  const llmAttention = text.numLayers * (2 * L * d * (qd + 2 * kvd) + 2 * L * qd * d + 2 * 2 * pairs * qd);
  const llmMlp = text.numLayers * 2 * L * d * text.intermediateSize * 3;
  const lmHead = 2 * shape.logitRows * d * text.vocabSize;
  const total = vision.vision + vision.projector + selection + llmAttention + llmMlp + lmHead;
  return { vision: vision.vision, projector: vision.projector, selection, llmAttention, llmMlp, lmHead, total };
}

/**
 * KV-cache bytes a decoder holds for `length` tokens: keys and values of every layer and KV head.
 *
 * @param text - the decoder's config
 * @param length - cached tokens
 * @param bytesPerValue - 4 for float32 (default), 2 for fp16/bf16
 * @returns bytes
 * @example
 * ```ts
 * kvBytesFor(cfg.text, 600); // 2 · layers · kvHeads · headDim · 600 · 4
 * ```
 */
export function kvBytesFor(text: LlamaTextConfig, length: number, bytesPerValue = 4): number {
  return 2 * text.numLayers * text.numKvHeads * text.headDim * length * bytesPerValue;
}
