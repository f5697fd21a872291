/**
 * One set of decoder weights, two engines: the ONNX decoder that transformers.js runs (the tiny test model) and the
 * tfjs decoder of `@resprune/pipeline` (`decoderForward`, the reference pipeline's language model), given the same
 * `inputs_embeds` and position ids (M-RoPE ids as after pruning, and 1-D ids for LLaVA), agree on the logits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@resprune/test-backends';
import { decoderForward, disposeKvCache, projectLogits, type LlamaTextConfig } from '@resprune/pipeline';
import { f32, loadTiny, tensor, type Loaded } from './helpers.js';

const LINEAR = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$|^lm_head\.weight$/;

describe.each(['qwen2_vl', 'llava'] as const)('the %s decoder in transformers.js and in the tfjs pipeline', (family) => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await loadTiny(family);
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('gives the same logits (to 1e-4) from the same weights, inputs_embeds and position ids', async () => {
    const { fixture, model } = loaded;
    const H = fixture.hidden;
    const cfg = model.config as Record<string, unknown>;
    const text = (cfg['text_config'] as Record<string, unknown> | undefined) ?? cfg;
    const heads = text['num_attention_heads'] as number;
    const layers = text['num_hidden_layers'] as number;
    const section = (text['rope_scaling'] as { mrope_section?: [number, number, number] } | undefined)?.mrope_section;
    const L = 9;
    const embeds = Float32Array.from({ length: L * H }, (_, i) => Math.cos(0.23 * i) * 0.8);
    // As after pruning: repeated t ids inside an image, h/w ids jumping, text resuming at the original max + 1.
    const positions = family === 'llava' ? [[0, 1, 2, 3, 4, 5, 6, 7, 8]] : [[0, 1, 2, 2, 2, 2, 9, 10, 11], [0, 1, 2, 2, 3, 4, 9, 10, 11], [0, 1, 2, 5, 3, 6, 9, 10, 11]];
    const out = await model.forward({
      inputs_embeds: tensor('float32', embeds, [1, L, H]),
      attention_mask: tensor('int64', new Array(L).fill(1), [1, L]),
      position_ids: positions.length === 3 ? tensor('int64', positions.flat(), [3, 1, L]) : tensor('int64', positions[0]!, [1, L]),
    });
    const onnx = f32(out['logits']);
    const textConfig: LlamaTextConfig = {
      modelType: 'qwen2',
      hiddenSize: H,
      intermediateSize: 2 * H,
      numLayers: layers,
      numHeads: heads,
      numKvHeads: heads,
      headDim: H / heads,
      vocabSize: fixture.vocabSize,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      ropeLinearFactor: 1,
      slidingWindow: null,
      tieWordEmbeddings: false,
      hiddenAct: 'silu',
      attentionBias: true,
      mropeSection: family === 'llava' ? null : section!,
    };
    const ours = await expectNoLeak(async () => {
      const weights = new Map<string, tf.Tensor>();
      for (const [name, wt] of Object.entries(fixture.weights)) {
        const t = tf.tensor(wt.data, [...wt.shape]);
        weights.set(name, LINEAR.test(name) ? tf.tidy(() => tf.transpose(t)) : t);
        if (LINEAR.test(name)) t.dispose();
      }
      try {
        const w = (n: string): tf.Tensor => {
          const t = weights.get(`model.${n}`);
          if (t === undefined) throw new Error(`no weight model.${n}`);
          return t;
        };
        const inputs = tf.tensor3d(embeds, [1, L, H]);
        const step = decoderForward(textConfig, w, inputs, [new Uint8Array(L).fill(1)], [Int32Array.from(positions.flat())], undefined);
        const logits = tf.tidy(() => projectLogits(weights.get('lm_head.weight')!, tf.reshape(step.hidden, [L, H]) as tf.Tensor2D, true));
        const data = (await logits.data()) as Float32Array;
        tf.dispose([inputs, step.hidden, logits]);
        disposeKvCache(step.cache);
        return data;
      } finally {
        tf.dispose([...weights.values()]);
      }
    });
    expect(ours.length).toBe(onnx.length);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - onnx[i]!));
    expect(worst).toBeLessThan(1e-4);
    // And the comparison can fail: permuting the M-RoPE ids changes the logits beyond the tolerance.
    if (family !== 'llava') {
      const swapped = [positions[0]!, positions[2]!, positions[1]!];
      const other = await model.forward({
        inputs_embeds: tensor('float32', embeds, [1, L, H]),
        attention_mask: tensor('int64', new Array(L).fill(1), [1, L]),
        position_ids: tensor('int64', swapped.flat(), [3, 1, L]),
      });
      const o = f32(other['logits']);
      let diff = 0;
      for (let i = 0; i < o.length; i++) diff = Math.max(diff, Math.abs(o[i]! - ours[i]!));
      expect(diff).toBeGreaterThan(1e-3);
    }
  });
});
