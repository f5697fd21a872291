/**
 * The test decoder is the transformer it claims to be: its logits through transformers.js equal a
 * float64 forward pass written here from Hugging Face's definitions (Qwen2 attention with q/k/v
 * biases, rotate_half RoPE, Qwen2-VL's M-RoPE with mrope_section doubled over the head dim, gated
 * SiLU MLP, RMSNorm), from the weights the fixture reports under their HF names.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectClose } from '@resprune/test-backends';
import type { TjsTensor } from '../src/index.js';
import { f32, loadTiny, type Loaded } from './helpers.js';
import type { NamedWeight } from '@resprune/tiny-vlm';
import { tensor } from './helpers.js';

function reference(
  w: Readonly<Record<string, NamedWeight>>,
  cfg: { hidden: number; heads: number; layers: number; vocab: number; mrope: number[] | undefined },
  embeds: Float32Array,
  positions: number[][],
): Float64Array {
  const { hidden: H, heads: NH, layers: NL, vocab: V } = cfg;
  const DH = H / NH;
  const half = DH / 2;
  const L = embeds.length / H;
  const W = (name: string): Float32Array => w[name]!.data;
  const linear = (x: Float64Array[], name: string, bias?: string): Float64Array[] => {
    const m = W(name);
    const [out, inp] = w[name]!.shape as [number, number];
    const b = bias ? W(bias) : undefined;
    return x.map((row) => {
      const y = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let s = b ? b[o]! : 0;
        for (let i = 0; i < inp; i++) s += row[i]! * m[o * inp + i]!;
        y[o] = s;
      }
      return y;
    });
  };
  const rms = (x: Float64Array[], name: string): Float64Array[] =>
    x.map((row) => {
      let ms = 0;
      for (const v of row) ms += v * v;
      const r = 1 / Math.sqrt(ms / row.length + 1e-6);
      return row.map((v, i) => v * r * W(name)[i]!);
    });
  // Angle of head-dim index j at sequence index p: HF cat(freqs, freqs); M-RoPE picks the position
  // row by splitting the head dim into mrope_section * 2 chunks, chunk c taking row c % 3.
  const rowOf = (j: number): number => {
    if (cfg.mrope === undefined) return 0;
    const chunks = [...cfg.mrope, ...cfg.mrope];
    let start = 0;
    for (let c = 0; c < chunks.length; c++) {
      if (j < start + chunks[c]!) return c % 3;
      start += chunks[c]!;
    }
    throw new Error('mrope_section does not cover the head dim');
  };
  const angle = (p: number, j: number): number => positions[rowOf(j)]![p]! * Math.pow(10000, -(2 * (j % half)) / DH);
  const rope = (x: Float64Array[]): Float64Array[] =>
    x.map((row, p) => {
      const y = new Float64Array(H);
      for (let h = 0; h < NH; h++) {
        for (let j = 0; j < DH; j++) {
          const a = angle(p, j);
          const rot = j < half ? -row[h * DH + j + half]! : row[h * DH + j - half]!;
          y[h * DH + j] = row[h * DH + j]! * Math.cos(a) + rot * Math.sin(a);
        }
      }
      return y;
    });

  let x = Array.from({ length: L }, (_, p) => Float64Array.from(embeds.subarray(p * H, (p + 1) * H)));
  for (let l = 0; l < NL; l++) {
    const P = `model.layers.${l}`;
    const xn = rms(x, `${P}.input_layernorm.weight`);
    const q = rope(linear(xn, `${P}.self_attn.q_proj.weight`, `${P}.self_attn.q_proj.bias`));
    const k = rope(linear(xn, `${P}.self_attn.k_proj.weight`, `${P}.self_attn.k_proj.bias`));
    const v = linear(xn, `${P}.self_attn.v_proj.weight`, `${P}.self_attn.v_proj.bias`);
    const attn = Array.from({ length: L }, () => new Float64Array(H));
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < L; i++) {
        const s = new Float64Array(i + 1);
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          let d = 0;
          for (let c = 0; c < DH; c++) d += q[i]![h * DH + c]! * k[j]![h * DH + c]!;
          s[j] = d / Math.sqrt(DH);
          max = Math.max(max, s[j]!);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += (s[j] = Math.exp(s[j]! - max));
        for (let j = 0; j <= i; j++) for (let c = 0; c < DH; c++) attn[i]![h * DH + c]! += (s[j]! / z) * v[j]![h * DH + c]!;
      }
    }
    const o = linear(attn, `${P}.self_attn.o_proj.weight`);
    x = x.map((row, i) => row.map((val, c) => val + o[i]![c]!));
    const hn = rms(x, `${P}.post_attention_layernorm.weight`);
    const gate = linear(hn, `${P}.mlp.gate_proj.weight`);
    const up = linear(hn, `${P}.mlp.up_proj.weight`);
    const act = gate.map((row, i) => row.map((g, c) => (g / (1 + Math.exp(-g))) * up[i]![c]!));
    const down = linear(act, `${P}.mlp.down_proj.weight`);
    x = x.map((row, i) => row.map((val, c) => val + down[i]![c]!));
  }
  const logits = linear(rms(x, 'model.norm.weight'), 'lm_head.weight');
  const out = new Float64Array(L * V);
  logits.forEach((row, i) => out.set(row, i * V));
  return out;
}

describe.each(['qwen2_vl', 'llava'] as const)('the %s test decoder', (family) => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await loadTiny(family);
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('equals a float64 Hugging Face forward pass on the same weights', async () => {
    const { fixture, model } = loaded;
    const H = fixture.hidden;
    const L = 7;
    const embeds = Float32Array.from({ length: L * H }, (_, i) => Math.sin(0.37 * i));
    // Irregular M-RoPE ids (as after pruning: t, h and w rows differ); 1-D for LLaVA.
    const positions = family === 'llava' ? [[0, 1, 2, 3, 4, 5, 6]] : [[0, 1, 2, 2, 2, 9, 10], [0, 1, 2, 3, 4, 9, 10], [0, 1, 3, 2, 5, 9, 10]];
    const out = await model.forward({
      inputs_embeds: tensor('float32', embeds, [1, L, H]),
      attention_mask: tensor('int64', new Array(L).fill(1), [1, L]),
      position_ids: positions.length === 3 ? tensor('int64', positions.flat(), [3, 1, L]) : tensor('int64', positions[0]!, [1, L]),
    });
    const logits = f32(out['logits'] as TjsTensor);
    const cfg = model.config as Record<string, unknown>;
    const text = (cfg['text_config'] as Record<string, unknown> | undefined) ?? cfg;
    const rope = text['rope_scaling'] as { mrope_section?: number[] } | undefined;
    const expected = reference(
      fixture.weights,
      { hidden: H, heads: text['num_attention_heads'] as number, layers: text['num_hidden_layers'] as number, vocab: fixture.vocabSize, mrope: rope?.mrope_section },
      embeds,
      positions,
    );
    expectClose(logits, expected, 1e-5);
  });
});
