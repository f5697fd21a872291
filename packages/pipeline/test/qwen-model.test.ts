/**
 * Qwen-VL model mechanics on tfjs: M-RoPE ids worked out by hand from HF's get_rope_index, the window schedule of
 * HF's get_window_index, window attention covering the whole image = full attention, KV-cached decoding = recompute
 * with M-RoPE positions continuing at max + 1, and the decoder's M-RoPE reducing to 1-D RoPE on text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { promptFromInputIds, type CompactedInput } from '@resprune/backbones';
import { expectClose, expectError, expectNoLeak } from '@resprune/test-backends';
import { encodeQwenVision, parseQwen2VlConfig, type Qwen2VlModelConfig } from '../src/index.js';
import { segmentAttention, visionSchedule } from '../src/families/qwen2-vl/vision.js';
import { decoderForward, disposeKvCache, mropeAxes, scopeWeights } from '../src/models/llama.js';
import { removeDir } from './fixtures.js';
import { checkpointOptions, GOLDEN, QWEN25_VL_3B_CONFIG, writeTinyQwen } from './qwen-fixtures.js';
import { loadQwen, patchesFor, prefill, prepareInputs, qwenAdapter, qwenLayout, type LoadedQwen } from './qwen-model.js';

/** The [t, h, w] ids of a compacted M-RoPE input. */
function triples(out: CompactedInput): number[][] {
  if (out.positions.scheme !== 'mrope') throw new Error(`expected M-RoPE ids, got ${out.positions.scheme}`);
  return out.positions.ids.map((p) => [...p]);
}

const VS = 151652;
const VE = 151653;
const PAD = 151655;

describe('M-RoPE ids (no model)', () => {
  const cfg = parseQwen2VlConfig(QWEN25_VL_3B_CONFIG);
  // 3 text, <vs>, image A (grid 1×4×6 → 2×3 tokens), <ve>, 2 text, <vs>, image B (grid 1×2×4 → 1×2), <ve>, 1 text.
  const grids = [
    [1, 4, 6],
    [1, 2, 4],
  ] as const;
  const ids = [10, 11, 12, VS, ...Array<number>(6).fill(PAD), VE, 13, 14, VS, PAD, PAD, VE, 15];
  const layout = qwenLayout(cfg, grids);
  const prompt = promptFromInputIds(ids, PAD, layout);

  it('equal the values worked out by hand from HF get_rope_index for a two-image prompt', () => {
    // By hand: text 0,1,2 and <vs> 3 are (p, p, p). Image A starts at s = 4: (4, 4 + row, 4 + col) for rows 0–1,
    // cols 0–2. Text resumes at max + 1 = 7: <ve> 7, text 8 and 9, <vs> 10. Image B at s = 11: (11, 11, 11),
    // (11, 11, 12). Then <ve> 13 and the last text token 14; the next generated token gets 15.
    const expected = [
      [0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3],
      [4, 4, 4], [4, 4, 5], [4, 4, 6], [4, 5, 4], [4, 5, 5], [4, 5, 6],
      [7, 7, 7], [8, 8, 8], [9, 9, 9], [10, 10, 10],
      [11, 11, 11], [11, 11, 12],
      [13, 13, 13], [14, 14, 14],
    ];
    const out = qwenAdapter(cfg).compact(layout, Array.from({ length: 8 }, (_, i) => i), { prompt });
    expect(triples(out)).toEqual(expected);
    expect(out.nextPosition).toBe(15);
  });

  it('keep the original ids of kept tokens and of the text after each image when pruned', () => {
    // Keep A's tokens 1 (row 0, col 1) and 5 (row 1, col 2), and B's token 1 (global index 7).
    const out = qwenAdapter(cfg).compact(layout, [1, 5, 7], { prompt });
    expect(out.keep).toEqual([0, 1, 2, 3, 5, 9, 10, 11, 12, 13, 15, 16, 17]);
    expect(triples(out)).toEqual([
      [0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3],
      [4, 4, 5], [4, 5, 6],
      [7, 7, 7], [8, 8, 8], [9, 9, 9], [10, 10, 10],
      [11, 11, 12],
      [13, 13, 13], [14, 14, 14],
    ]);
    expect(out.nextPosition).toBe(15);
  });

  it('split the rotary frequencies as HF applies mrope_section to the doubled cos/sin table', () => {
    // [16, 24, 24] of 64 frequencies: 0–15 temporal, 16–39 height, 40–63 width (the twin j + 64 reads the same axis).
    const axes = Array.from(mropeAxes([16, 24, 24]));
    expect(axes.slice(0, 16).every((a) => a === 0)).toBe(true);
    expect(axes.slice(16, 40).every((a) => a === 1)).toBe(true);
    expect(axes.slice(40).every((a) => a === 2)).toBe(true);
    expect(axes.length).toBe(64);
  });
});

describe('vision window schedule (no model)', () => {
  it('follows HF get_window_index: padded border windows, empty windows dropped, images never mixed', () => {
    const cfg = parseQwen2VlConfig({ ...QWEN25_VL_3B_CONFIG, vision_config: { ...QWEN25_VL_3B_CONFIG.vision_config, window_size: 56 } });
    // Window side 56 / 2 / 14 = 2 merged tokens. Image A: 3×5 merged (pad to 4×6 → 2×3 windows);
    // image B: 2×2 merged (HF pads a full window: 4×4 → 2×2 windows, three of them empty).
    const s = visionSchedule(cfg.vision, [
      [1, 6, 10],
      [1, 4, 4],
    ]);
    expect(Array.from(s.order)).toEqual([0, 1, 5, 6, 2, 3, 7, 8, 4, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect(s.windows).toEqual([
      [0, 16], [16, 32], [32, 40], [40, 48], [48, 56], [56, 60],
      [60, 76],
    ]);
    expect(s.full).toEqual([
      [0, 60],
      [60, 76],
    ]);
  });

  it('is the identity with full attention per image for Qwen2-VL', () => {
    const cfg = parseQwen2VlConfig({ ...QWEN25_VL_3B_CONFIG, model_type: 'qwen2_vl', vision_config: { embed_dim: 1280, hidden_size: 2048 } });
    const s = visionSchedule(cfg.vision, [
      [1, 6, 10],
      [1, 4, 4],
    ]);
    expect(Array.from(s.order)).toEqual(Array.from({ length: 19 }, (_, i) => i));
    expect(s.windows).toEqual(s.full);
  });
});

describe('vision segment attention (no model)', () => {
  it('runs long segments in query chunks with the same result, and never lets segments see each other', async () => {
    await expectNoLeak(() => {
      const [q, k, v] = [1, 2, 3].map((seed) => tf.randomNormal([12, 2, 4], 0, 1, 'float32', seed) as tf.Tensor3D) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const segs = [
        [0, 5],
        [5, 12],
      ] as const;
      const out = tf.tidy(() => {
        const a = segmentAttention(q, k, v, segs);
        const b = segmentAttention(q, k, v, segs, 7); // one query row per product
        const whole = segmentAttention(q, k, v, [[0, 12]]);
        const wholeChunked = segmentAttention(q, k, v, [[0, 12]], 60); // 2 query rows per product
        // Other keys and values for rows 5–11 leave rows 0–4 unchanged.
        const k2 = tf.concat([tf.slice(k, [0, 0, 0], [5, -1, -1]), tf.mul(tf.slice(k, [5, 0, 0], [7, -1, -1]), 3)]) as tf.Tensor3D;
        const v2 = tf.concat([tf.slice(v, [0, 0, 0], [5, -1, -1]), tf.add(tf.slice(v, [5, 0, 0], [7, -1, -1]), 1)]) as tf.Tensor3D;
        const c = segmentAttention(q, k2, v2, segs);
        return [a, b, whole, wholeChunked, c, segmentAttention(q, k2, v2, [[0, 12]])].map((t) => t.dataSync());
      });
      const [a, b, whole, wholeChunked, c, wholeChanged] = out as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      expectClose(a, b, 1e-6);
      expectClose(whole, wholeChunked, 1e-6);
      expectClose(a.subarray(0, 5 * 8), c.subarray(0, 5 * 8), 0);
      expect(Math.max(...Array.from(whole.subarray(0, 40), (x, i) => Math.abs(x - wholeChanged[i]!)))).toBeGreaterThan(1e-3);
      tf.dispose([q, k, v]);
    });
  });
});

describe('Qwen2.5-VL model mechanics', () => {
  let dir: string;
  let m: LoadedQwen;
  beforeAll(async () => {
    dir = writeTinyQwen(checkpointOptions(GOLDEN.checkpoints['q25']!));
    m = await loadQwen(dir);
  });
  afterAll(() => {
    m?.dispose();
    removeDir(dir);
  });

  it('window attention whose window covers the whole image equals full attention', async () => {
    const grids = [
      [1, 6, 10],
      [1, 4, 4],
    ] as const;
    const v = m.cfg.vision;
    const windowed: Qwen2VlModelConfig = { ...m.cfg, vision: { ...v, windowSize: 14 * 2 * 8 } };
    const full: Qwen2VlModelConfig = { ...m.cfg, vision: { ...v, fullAttBlockIndexes: Array.from({ length: v.depth }, (_, i) => i) } };
    const small: Qwen2VlModelConfig = m.cfg;
    await expectNoLeak(() => {
      const patches = patchesFor(m.cfg, grids);
      const [a, b, c] = [windowed, full, small].map((cfg) => encodeQwenVision(cfg, m.w, patches, grids));
      const [da, db, dc] = [a!, b!, c!].map((t) => t.dataSync());
      // Same attention, but the full-attention run keeps the 2 × 2 window order of the units: sums in another order.
      expectClose(da!, db!, 1e-5);
      // The real (2 × 2) windows do change the result: the test can fail.
      let diff = 0;
      for (let i = 0; i < db!.length; i++) diff = Math.max(diff, Math.abs(db![i]! - dc![i]!));
      expect(diff).toBeGreaterThan(1e-3);
      tf.dispose([patches, a!, b!, c!]);
    });
  });

  it('KV-cached decoding equals recomputing the whole sequence, positions continuing at max + 1 (pruned prompt)', async () => {
    const c = GOLDEN.cases.find((x) => x.name === 'q25-two-pruned')!;
    const next = [9707, 11, 151645];
    await expectNoLeak(() => {
      const p = prepareInputs(m, c.inputIds, c.grids, c.kept);
      const first = prefill(m, p.embeds, p.positions);
      expect(first.cache.nextPosition).toEqual([p.compacted.nextPosition]);
      let cache = first.cache;
      const stepHidden: Float32Array[] = [];
      next.forEach((id, k) => {
        const e = tf.tidy(() => tf.expandDims(tf.gather(m.w('model.embed_tokens.weight'), tf.tensor1d([id], 'int32')), 0) as tf.Tensor3D);
        // A text step: one id (t = h = w), the cache's next position.
        const out = decoderForward(m.cfg.text, scopeWeights(m.w, 'model.'), e, [Uint8Array.of(1)], [Int32Array.of(cache.nextPosition[0]!)], cache);
        expect(out.cache.nextPosition).toEqual([p.compacted.nextPosition + k + 1]);
        stepHidden.push(out.hidden.dataSync() as Float32Array);
        if (cache !== first.cache) disposeKvCache(cache);
        cache = out.cache;
        tf.dispose([e, out.hidden]);
      });
      disposeKvCache(first.cache);
      disposeKvCache(cache);
      // Recompute: the pruned prompt plus the generated tokens, as 3 × length ids.
      const n = p.compacted.keep.length;
      const total = n + next.length;
      const pos = new Int32Array(3 * total);
      for (let a = 0; a < 3; a++) {
        pos.set(p.positions.subarray(a * n, (a + 1) * n), a * total);
        next.forEach((_, k) => {
          pos[a * total + n + k] = p.compacted.nextPosition + k;
        });
      }
      const all = tf.tidy(() => tf.concat([p.embeds, tf.expandDims(tf.gather(m.w('model.embed_tokens.weight'), tf.tensor1d(next, 'int32')), 0)], 1) as tf.Tensor3D);
      const re = prefill(m, all, pos);
      const h = re.hidden.dataSync();
      const d = m.cfg.text.hiddenSize;
      next.forEach((_, k) => expectClose(stepHidden[k]!, h.subarray((n + k) * d, (n + k + 1) * d), 2e-5));
      disposeKvCache(re.cache);
      tf.dispose([all, re.hidden, first.hidden, p.vision, p.embeds]);
    });
  });

  it('M-RoPE with t = h = w is 1-D RoPE, and text steps may give one id per token', async () => {
    await expectNoLeak(() => {
      const len = 5;
      const e = tf.tidy(() => tf.expandDims(tf.gather(m.w('model.embed_tokens.weight'), tf.tensor1d([1, 2, 3, 4, 5], 'int32')), 0) as tf.Tensor3D);
      const p1 = Int32Array.from([3, 4, 5, 6, 7]);
      const p3 = Int32Array.from([...p1, ...p1, ...p1]);
      const valid = [new Uint8Array(len).fill(1)];
      const w = scopeWeights(m.w, 'model.');
      const a = decoderForward(m.cfg.text, w, e, valid, [p3], undefined);
      const b = decoderForward(m.cfg.text, w, e, valid, [p1], undefined);
      const c = decoderForward({ ...m.cfg.text, mropeSection: null }, w, e, valid, [p1], undefined);
      expectClose(a.hidden.dataSync(), b.hidden.dataSync(), 0);
      expectClose(a.hidden.dataSync(), c.hidden.dataSync(), 0);
      // Distinct h/w ids change the result.
      const p3b = Int32Array.from([...p1, 3, 3, 3, 3, 3, ...p1]);
      const d = decoderForward(m.cfg.text, w, e, valid, [p3b], undefined);
      let diff = 0;
      const ad = a.hidden.dataSync();
      const dd = d.hidden.dataSync();
      for (let i = 0; i < ad.length; i++) diff = Math.max(diff, Math.abs(ad[i]! - dd[i]!));
      expect(diff).toBeGreaterThan(1e-4);
      for (const o of [a, b, c, d]) {
        o.hidden.dispose();
        disposeKvCache(o.cache);
      }
      e.dispose();
    });
  });

  it('bad decoder and vision inputs give typed errors', async () => {
    await expectNoLeak(() => {
      const e = tf.zeros([1, 2, m.cfg.text.hiddenSize]) as tf.Tensor3D;
      const w = scopeWeights(m.w, 'model.');
      expectError(() => decoderForward(m.cfg.text, w, e, [Uint8Array.of(1, 1)], [Int32Array.of(0, 1, 2)], undefined), 'E_SHAPE_MISMATCH', /3 position ids for 2 tokens/);
      expectError(() => decoderForward({ ...m.cfg.text, mropeSection: null }, w, e, [Uint8Array.of(1, 1)], [Int32Array.of(0, 1, 2, 3, 4, 5)], undefined), 'E_SHAPE_MISMATCH', /6 position ids/);
      const patches = patchesFor(m.cfg, [[1, 4, 4]]);
      expectError(() => encodeQwenVision(m.cfg, m.w, patches, [[1, 4, 6]]), 'E_SHAPE_MISMATCH', /patches must be \[24, 1176\]/);
      expectError(() => encodeQwenVision(m.cfg, m.w, patches, [[1, 2, 8], [1, 0, 4]]), 'E_SHAPE_MISMATCH', /grid 1/);
      expectError(() => encodeQwenVision(m.cfg, m.w, patches, [[1, 16, 1]]), 'E_SHAPE_MISMATCH', /multiples of spatial_merge_size 2/);
      tf.dispose([e, patches]);
    });
  });
});
