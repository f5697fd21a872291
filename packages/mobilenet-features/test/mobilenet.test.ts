import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectNoLeak, sharedPath } from '@resprune/test-backends';
import { decodeImage, type RgbImage } from '@resprune/image-features';
import {
  averagePoolTokens,
  loadMobileNetV2,
  NSFW_CLASSES,
  type FeatureExtractor,
  type ImageFeatures,
  type LoadProgress,
} from '../src/index.js';
import { expectError, expectRejection, rowCosine } from './helpers.js';

const backend = inject('tfBackend');
// One 768×768 pass costs ~20 s on the pure-JS cpu backend (~1.5 s on wasm), so the repeated
// checks run at 224 (a 7×7 grid) on cpu and at the full 768 elsewhere.
const SIZE = backend === 'cpu' ? 224 : 768;

let net: FeatureExtractor;
let dog: RgbImage;
let horses: RgbImage;
const progress: LoadProgress[] = [];

beforeAll(async () => {
  const t0 = performance.now();
  net = await loadMobileNetV2({ onProgress: (p) => progress.push(p) });
  const t1 = performance.now();
  dog = await decodeImage(sharedPath('images', 'dog.jpg'));
  horses = await decodeImage(sharedPath('images', 'horses.jpg'));
  console.info(`[${backend}] load ${(t1 - t0).toFixed(0)} ms, decode 2 photos ${(performance.now() - t1).toFixed(0)} ms`);
});
afterAll(() => net?.dispose());

const cache = new Map<string, Promise<ImageFeatures>>();
/** Features of a photo, computed once per size and shared by the tests that only read them. */
function features(name: 'dog' | 'horses', size: number): Promise<ImageFeatures> {
  const key = `${name}@${size}`;
  let f = cache.get(key);
  if (f === undefined) cache.set(key, (f = net.extract(name === 'dog' ? dog : horses, { size })));
  return f;
}

const top = (p: Float32Array): string => NSFW_CLASSES[p.indexOf(Math.max(...p))]!;
const sum = (p: ArrayLike<number>): number => Array.from(p).reduce((a, b) => a + b, 0);

describe(`MobileNetV2 features [${backend}]`, () => {
  it('loads offline, reports progress up to 1, and describes the layer split', () => {
    expect(net.name).toBe('nsfwjs-mobilenet-v2');
    expect(net.layer).toBe('out_relu');
    expect(net.d).toBe(1280);
    expect(net.stride).toBe(32);
    // Same fields as the pipeline's checkpoint progress: one bar serves both.
    const loaded = progress.map((p) => p.loadedBytes);
    expect(loaded[0]).toBe(0);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    const last = progress.at(-1)!;
    expect(last.message).toBe('ready');
    expect(last.file).toBe('nsfwjs/models/mobilenet_v2');
    // The uint8-quantised weights of nsfwjs's MobileNetV2: about 2.6 M parameters, one byte each.
    expect(last.totalBytes).toBeGreaterThan(2_000_000);
    expect(last.totalBytes).toBeLessThan(4_000_000);
    expect(last.loadedBytes).toBe(last.totalBytes);
    expect(progress.slice(1).every((p) => p.totalBytes === last.totalBytes)).toBe(true);
    expect(net.head.classes).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    expect(net.head.layers.map((l) => [l.name, l.inputs, l.outputs, l.activation])).toEqual([
      ['dense_1', 1280, 256, 'relu'],
      ['dense_2', 256, 128, 'relu'],
      ['dense_3', 128, 5, 'softmax'],
    ]);
    for (const l of net.head.layers) {
      expect(l.kernel.length).toBe(l.inputs * l.outputs);
      expect(l.bias.length).toBe(l.outputs);
      expect(l.kernel.some((v) => v !== 0)).toBe(true);
    }
  });

  // Up to ~45 s on the cpu backend of a busy 2-core machine: give it room beyond the default.
  it('a 768×768 photo gives 576 finite tokens of 1280 features on a 24×24 grid', async () => {
    const t0 = performance.now();
    const f = await features('dog', 768);
    console.info(`[${backend}] extract 768×768 ${(performance.now() - t0).toFixed(0)} ms`);
    expect([f.rows, f.cols, f.d, f.size]).toEqual([24, 24, 1280, 768]);
    expect(f.tokens).toBeInstanceOf(Float32Array);
    expect(f.tokens.length).toBe(576 * 1280);
    let nonZero = 0;
    let outOfRange = 0;
    for (const v of f.tokens) {
      if (!(Number.isFinite(v) && v >= 0 && v <= 6)) outOfRange++; // ReLU6 outputs lie in [0, 6]
      if (v > 0) nonZero++;
    }
    expect(outOfRange).toBe(0);
    expect(nonZero / f.tokens.length).toBeGreaterThan(0.02); // ReLU6 features are sparse (~5 % non-zero)
    // Tokens vary over the grid (content differs from cell to cell).
    expect(rowCosine(f.tokens, 0, f.tokens, 300, 1280)).toBeLessThan(0.95);
    // The head sees a dog photo as a safe photo.
    const probs = net.classify(averagePoolTokens(f.tokens, f.d));
    expect(top(probs)).toBe('Neutral');
    expect(sum(probs)).toBeCloseTo(1, 5);
  }, 300_000);

  it('the same photo twice gives identical tokens', async () => {
    const a = await features('dog', SIZE);
    const b = await net.extract(dog, { size: SIZE });
    expect(b.tokens.length).toBe(a.tokens.length);
    expect(Buffer.from(b.tokens.buffer).equals(Buffer.from(a.tokens.buffer))).toBe(true);
  });

  it('different photos give different tokens', async () => {
    const a = await features('dog', SIZE);
    const b = await features('horses', SIZE);
    let maxDiff = 0;
    for (let i = 0; i < a.tokens.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.tokens[i]! - b.tokens[i]!));
    expect(maxDiff).toBeGreaterThan(1);
    const pa = averagePoolTokens(a.tokens, a.d);
    const pb = averagePoolTokens(b.tokens, b.d);
    expect(rowCosine(pa, 0, pb, 0, a.d)).toBeLessThan(0.95);
  });

  it('pooling the full grid and running the head reproduces the network end to end (224×224)', async () => {
    // Both photos on wasm; on cpu one is enough (each costs a few seconds there).
    for (const name of backend === 'cpu' ? (['dog'] as const) : (['dog', 'horses'] as const)) {
      const img = name === 'dog' ? dog : horses;
      const f = await features(name, 224);
      expect([f.rows, f.cols]).toEqual([7, 7]);
      const ours = net.classify(averagePoolTokens(f.tokens, f.d));
      const theirs = await net.predict(img); // the unmodified nsfwjs graph: 7×7 avg pool, flatten, dense ×3
      expect(sum(theirs)).toBeCloseTo(1, 5);
      expect(sum(ours)).toBeCloseTo(1, 5);
      for (let k = 0; k < 5; k++) expect(Math.abs(ours[k]! - theirs[k]!)).toBeLessThan(1e-4);
      expect(top(theirs)).toBe('Neutral');
    }
  });

  it('a pooled subset gives a different, still valid, distribution', async () => {
    const f = await features('dog', SIZE);
    const kept = Array.from({ length: 2 * f.cols }, (_, i) => i); // the top two rows of the grid
    const p = net.classify(averagePoolTokens(f.tokens, f.d, kept));
    expect(sum(p)).toBeCloseTo(1, 5);
    const full = net.classify(averagePoolTokens(f.tokens, f.d));
    expect(Math.max(...p.map((v, k) => Math.abs(v - full[k]!)))).toBeGreaterThan(1e-6);
  });

  it('tokens are row-major over the grid: shifting the content by whole cells shifts the tokens', async () => {
    // A 96×96 crop of the photo on a grey 256×256 canvas (an 8×8 grid). The network is
    // translation-equivariant for shifts by its stride, so moving the crop 2 cells right (or down)
    // must move its tokens from (r, c) to (r, c + 2) (or (r + 2, c)), and not along the other axis.
    const S = 256;
    const g = S / 32;
    const crop = (x0: number, y0: number): RgbImage => {
      const data = new Uint8Array(S * S * 3).fill(128);
      for (let y = 0; y < 96; y++) {
        const from = 3 * ((200 + y) * dog.width + 300);
        data.set(dog.data.subarray(from, from + 3 * 96), 3 * ((y0 + y) * S + x0));
      }
      return { width: S, height: S, data };
    };
    const base = await net.extract(crop(64, 64), { size: S }); // the crop covers cell rows 2..4, cols 2..4
    for (const [dr, dc] of [
      [0, 2],
      [2, 0],
    ] as const) {
      const moved = await net.extract(crop(64 + 32 * dc, 64 + 32 * dr), { size: S });
      let matched = 0;
      let otherAxis = 0;
      for (let r = 2; r < 5; r++) {
        for (let c = 2; c < 5; c++) {
          const cell = r * g + c;
          const sim = rowCosine(moved.tokens, (r + dr) * g + (c + dc), base.tokens, cell, 1280);
          expect(sim).toBeGreaterThan(0.7);
          matched += sim / 9;
          otherAxis += rowCosine(moved.tokens, (r + dc) * g + (c + dr), base.tokens, cell, 1280) / 9;
        }
      }
      expect(matched).toBeGreaterThan(0.9); // measured ≈ 0.95
      expect(otherAxis).toBeLessThan(0.5); // measured ≈ 0.2
    }
  });

  it('a tensor input gives the same tokens as the RgbImage it holds', async () => {
    const fromImage = await net.extract(dog, { size: 64 });
    const asInt = tf.tensor3d(dog.data, [dog.height, dog.width, 3], 'int32');
    const asFloat = tf.cast(asInt, 'float32');
    const a = await net.extract(asInt as tf.Tensor3D, { size: 64 });
    const b = await net.extract(asFloat as tf.Tensor3D, { size: 64 });
    expect(fromImage.tokens.length).toBe(4 * 1280);
    expect(Buffer.from(a.tokens.buffer).equals(Buffer.from(fromImage.tokens.buffer))).toBe(true);
    expect(Buffer.from(b.tokens.buffer).equals(Buffer.from(fromImage.tokens.buffer))).toBe(true);
    tf.dispose([asInt, asFloat]);
  });

  it('extractTensor returns one [tokens, d] tensor the caller owns; the rest is freed', async () => {
    const before = tf.memory().numTensors;
    const t = net.extractTensor(dog, { size: 64 });
    expect(t.shape).toEqual([4, 1280]);
    expect(tf.memory().numTensors).toBe(before + 1);
    const viaExtract = await net.extract(dog, { size: 64 });
    expect(Buffer.from((await t.data()).buffer).equals(Buffer.from(viaExtract.tokens.buffer))).toBe(true);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('extract, predict and classify leak no tensors, also when they throw', async () => {
    await expectNoLeak(() => net.extract(horses, { size: 64 }));
    await expectNoLeak(() => net.predict(horses));
    await expectNoLeak(() => net.classify(new Float32Array(1280)));
    await expectNoLeak(() => expect(() => net.extractTensor({ width: 2, height: 2, data: new Uint8Array(11) })).toThrow());
    await expectNoLeak(() => expect(() => net.extractTensor(dog, { size: 100 })).toThrow());
  });

  it('rejects bad sizes and malformed images with typed errors', async () => {
    for (const size of [0, 100, 767.5, 4096, -32, NaN]) {
      await expectRejection(net.extract(dog, { size }), 'E_IMAGE_SIZE', /size must be a multiple of 32 between 32 and 2048/);
    }
    await expectRejection(net.extract({ width: 2, height: 2, data: new Uint8Array(11) }), 'E_SHAPE_MISMATCH', /2×2 RGB image needs 12 bytes, got 11/);
    await expectRejection(net.extract({ width: 0, height: 2, data: new Uint8Array(0) }), 'E_IMAGE_SIZE', /positive integers, got 0×2/);
    await expectRejection(net.extract({ width: 2, height: 2 } as unknown as RgbImage), 'E_SHAPE_MISMATCH', /expected an RgbImage/);
    await expectRejection(net.extract(null as unknown as RgbImage), 'E_SHAPE_MISMATCH', /expected an RgbImage/);
    const rgba = tf.zeros([4, 4, 4]) as tf.Tensor3D;
    await expectRejection(net.extract(rgba), 'E_SHAPE_MISMATCH', /\[height, width, 3\], got \[4, 4, 4\]/);
    const flat = tf.zeros([4, 12]);
    await expectRejection(net.extract(flat as unknown as tf.Tensor3D), 'E_SHAPE_MISMATCH', /got \[4, 12\]/);
    const bool = tf.zeros([4, 4, 3], 'bool') as tf.Tensor3D;
    await expectRejection(net.extract(bool), 'E_DTYPE', /int32 or float32/);
    const empty = tf.zeros([0, 4, 3]) as tf.Tensor3D;
    await expectRejection(net.predict(empty), 'E_IMAGE_SIZE', /empty/);
    tf.dispose([rgba, flat, bool, empty]);
  });

  it('classify and averagePoolTokens check their inputs', () => {
    expectError(() => net.classify(new Float32Array(10)), 'E_SHAPE_MISMATCH', /length 1280, got length 10/);
    expectError(() => net.classify(null as unknown as Float32Array), 'E_SHAPE_MISMATCH', /length 1280, got null/);
    const nan = new Float32Array(1280);
    nan[7] = NaN;
    expectError(() => net.classify(nan), 'E_NON_FINITE', /pooled\[7\] is NaN/);
    nan[7] = Infinity;
    expectError(() => net.classify(nan), 'E_NON_FINITE', /pooled\[7\] is Infinity/);
    expectError(() => averagePoolTokens(new Float32Array(10), 4), 'E_SHAPE_MISMATCH', /10 values do not split into rows of d = 4/);
    expectError(() => averagePoolTokens(new Float32Array(8), 0), 'E_SHAPE_MISMATCH', /positive integer/);
    expectError(() => averagePoolTokens(new Float32Array(8), 4, [2]), 'E_SHAPE_MISMATCH', /index 2 is outside \[0, 2\)/);
    expectError(() => averagePoolTokens(new Float32Array(8), 4, [0.5]), 'E_SHAPE_MISMATCH', /index 0\.5/);
    expectError(() => averagePoolTokens(new Float32Array(8), 4, []), 'E_EMPTY_INPUT', /nothing to pool/);
    expectError(() => averagePoolTokens(new Float32Array(0), 4), 'E_EMPTY_INPUT', /nothing to pool/);
    expect(Array.from(averagePoolTokens(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, [0, 2, 2]))).toEqual([
      Math.fround((1 + 5 + 5) / 3),
      Math.fround((2 + 6 + 6) / 3),
    ]);
  });

  it('a disposed extractor frees all its tensors and refuses further work', async () => {
    const before = tf.memory().numTensors;
    const other = await loadMobileNetV2();
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    await other.predict(horses); // also builds the full reference network
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
    other.dispose(); // idempotent
    await expectRejection(other.extract(dog, { size: 224 }), 'E_MODEL', /disposed/);
    await expectRejection(other.predict(dog), 'E_MODEL', /disposed/);
    expectError(() => other.extractTensor(dog), 'E_MODEL', /disposed/);
  });
});
