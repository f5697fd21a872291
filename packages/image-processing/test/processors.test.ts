import { join } from 'node:path';
import { smartResize } from '@resprune/backbone-qwen-vl';
import { expectError } from '@resprune/test-backends';
import { describe, expect, it } from 'vitest';
import { decodeRgbFile } from '../src/node.js';
import {
  parseClipConfig,
  parseImageProcessorConfig,
  parseLlavaNextConfig,
  parseQwen2VlConfig,
  preprocessImage,
  qwen2VlPixelValues,
  type ProcessedImage,
} from '../src/index.js';
import { f32Mismatches, golden, sha256, sharedImages, synthetic, type F32Sample } from './helpers.js';

interface ProcessorCase {
  source: { synthetic: [number, number, number, 'noise' | 'smooth'] } | { photo: string };
  config: string;
  shape?: number[];
  sha256?: string;
  samples?: F32Sample[];
  image_sizes?: [number, number];
  best?: [number, number];
  grid?: [number, number];
  image_grid_thw?: [number, number, number];
  error?: string;
}
const { pillow, numpy, configs, cases } = golden<{
  pillow: string;
  numpy: string;
  configs: Record<string, Record<string, unknown>>;
  cases: ProcessorCase[];
}>('processors.json');

function check(out: ProcessedImage, c: ProcessorCase): void {
  expect([...out.shape]).toEqual(c.shape);
  expect(f32Mismatches(out.pixelValues, c.samples!)).toEqual([]);
  expect(sha256(out.pixelValues)).toBe(c.sha256);
  if (out.kind === 'llava-next') {
    expect([...out.imageSize]).toEqual(c.image_sizes);
    expect([out.bestResolution.height, out.bestResolution.width]).toEqual(c.best);
    expect([...out.grid]).toEqual(c.grid);
  }
  if (out.kind === 'qwen2-vl') expect([...out.imageGridThw]).toEqual(c.image_grid_thw);
}

const label = (c: ProcessorCase): string =>
  `${c.config} on ${'photo' in c.source ? c.source.photo : `synthetic ${c.source.synthetic[0]}x${c.source.synthetic[1]}`}`;

describe(`pixel_values equal HF's slow processors (NumPy ${numpy} + Pillow ${pillow} re-implementation)`, () => {
  const synth = cases.filter((c) => 'synthetic' in c.source && c.error === undefined);
  it('has golden cases for every config', () => {
    expect(new Set(synth.map((c) => c.config))).toEqual(new Set(Object.keys(configs)));
  });
  it.each(synth.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const [w, h, seed, kind] = (c.source as { synthetic: [number, number, number, 'noise' | 'smooth'] }).synthetic;
    check(preprocessImage(synthetic(w, h, seed, kind), parseImageProcessorConfig(configs[c.config])), c);
  });

  const dir = sharedImages();
  if (dir === undefined) console.warn('processors.test: ../shared/images is absent; the real-photo goldens are skipped');
  const photos = cases.filter((c) => 'photo' in c.source);
  it('has real-photo goldens for LLaVA-1.5, LLaVA-NeXT and Qwen2.5-VL', () => {
    expect(photos.length).toBeGreaterThanOrEqual(24);
  });
  it.skipIf(dir === undefined).each(photos.map((c) => [label(c), c] as const))('%s', async (_, c) => {
    const img = await decodeRgbFile(join(dir!, (c.source as { photo: string }).photo));
    check(preprocessImage(img, parseImageProcessorConfig(configs[c.config])), c);
  });
});

describe('smartResize (backbone-qwen-vl) equals transformers smart_resize', () => {
  const { cases: sizes } = golden<{ factor: number; cases: Array<[number, number, number, number, [number, number] | null]> }>('smart-resize.json');
  it(`on ${sizes.length} sizes and limits`, () => {
    const wrong: string[] = [];
    for (const [h, w, minPixels, maxPixels, expected] of sizes) {
      let got: [number, number] | null;
      try {
        const r = smartResize(h, w, { factor: 28, minPixels, maxPixels });
        got = [r.height, r.width];
      } catch {
        got = null;
      }
      if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${h}x${w} [${minPixels}, ${maxPixels}]: ${String(got)} vs ${String(expected)}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('processor output layout', () => {
  it('Qwen2-VL repeats the frame over the temporal patch: both halves of a row are equal', () => {
    const out = qwen2VlPixelValues(synthetic(56, 84, 9, 'smooth'), parseQwen2VlConfig({}));
    expect([...out.imageGridThw]).toEqual([1, 6, 4]);
    expect([...out.shape]).toEqual([24, 3 * 2 * 14 * 14]);
    const row = out.pixelValues.subarray(0, 3 * 2 * 196);
    for (let c = 0; c < 3; c++) {
      const t0 = row.subarray(c * 392, c * 392 + 196);
      const t1 = row.subarray(c * 392 + 196, c * 392 + 392);
      expect(Array.from(t1)).toEqual(Array.from(t0));
    }
  });
});

describe('config parsing', () => {
  it('reads the real checkpoints with HF defaults', () => {
    const llava = parseImageProcessorConfig(configs['llava-1.5-7b-hf']);
    expect(llava).toMatchObject({ kind: 'clip', size: { shortestEdge: 336 }, cropSize: { height: 336, width: 336 }, resample: 3, padToSquare: false });
    const next = parseImageProcessorConfig(configs['llava-v1.6-mistral-7b-hf']);
    expect(next.kind).toBe('llava-next');
    const qwen = parseImageProcessorConfig(configs['Qwen2.5-VL-7B-Instruct']);
    expect(qwen).toMatchObject({ kind: 'qwen2-vl', minPixels: 3136, maxPixels: 12845056, patchSize: 14, temporalPatchSize: 2, mergeSize: 2 });
    expect(parseClipConfig({})).toMatchObject({ size: { shortestEdge: 224 }, cropSize: { height: 224, width: 224 }, rescaleFactor: 1 / 255 });
    expect(parseQwen2VlConfig({ size: { shortest_edge: 100, longest_edge: 5000 } })).toMatchObject({ minPixels: 100, maxPixels: 5000 });
    expect(parseQwen2VlConfig({ size: { shortest_edge: 100, longest_edge: 5000 }, max_pixels: 6000 }).maxPixels).toBe(6000);
  });

  it('rejects malformed fields with E_CHECKPOINT naming the field', () => {
    const t = { image_processor_type: 'CLIPImageProcessor' };
    expectError(() => parseImageProcessorConfig(null), 'E_CHECKPOINT', /expected a JSON object/);
    expectError(() => parseImageProcessorConfig([]), 'E_CHECKPOINT', /expected a JSON object, got an array/);
    expectError(() => parseImageProcessorConfig({}), 'E_CHECKPOINT', /"image_processor_type" must be one of CLIPImageProcessor/);
    expectError(() => parseImageProcessorConfig({ image_processor_type: 'SiglipImageProcessor' }), 'E_CHECKPOINT', /SiglipImageProcessor/);
    expectError(() => parseImageProcessorConfig({ ...t, size: 0 }), 'E_CHECKPOINT', /"size" must be/);
    expectError(() => parseImageProcessorConfig({ ...t, size: { shortest_edge: 33.5 } }), 'E_CHECKPOINT', /"size.shortest_edge"/);
    expectError(() => parseImageProcessorConfig({ ...t, crop_size: { height: 3 } }), 'E_CHECKPOINT', /"crop_size"/);
    expectError(() => parseImageProcessorConfig({ ...t, image_mean: [0.5, 0.5] }), 'E_CHECKPOINT', /"image_mean" must be a list of 3/);
    expectError(() => parseImageProcessorConfig({ ...t, image_mean: [0.5, 'x', 0.5] }), 'E_CHECKPOINT', /"image_mean"/);
    expectError(() => parseImageProcessorConfig({ ...t, image_std: [0.5, 0, 0.5] }), 'E_CHECKPOINT', /"image_std" must be a list of 3 finite positive/);
    expectError(() => parseImageProcessorConfig({ ...t, image_std: [0.5, Number.NaN, 0.5] }), 'E_CHECKPOINT', /"image_std"/);
    expectError(() => parseImageProcessorConfig({ ...t, rescale_factor: Number.POSITIVE_INFINITY }), 'E_CHECKPOINT', /"rescale_factor"/);
    expectError(() => parseImageProcessorConfig({ ...t, rescale_factor: '1/255' }), 'E_CHECKPOINT', /"rescale_factor"/);
    expectError(() => parseImageProcessorConfig({ ...t, resample: 0 }), 'E_CHECKPOINT', /"resample" must be one of 1 \(LANCZOS\)/);
    expectError(() => parseImageProcessorConfig({ ...t, do_resize: 'yes' }), 'E_CHECKPOINT', /"do_resize" must be true or false/);
    expectError(() => parseLlavaNextConfig({ image_grid_pinpoints: [] }), 'E_CHECKPOINT', /"image_grid_pinpoints"/);
    expectError(() => parseLlavaNextConfig({ image_grid_pinpoints: [[336, 0]] }), 'E_CHECKPOINT', /"image_grid_pinpoints"/);
    expectError(() => parseQwen2VlConfig({ size: { shortest_edge: 10 } }), 'E_CHECKPOINT', /"size" must be/);
    expectError(() => parseQwen2VlConfig({ min_pixels: 5000, max_pixels: 4000 }), 'E_CHECKPOINT', /"min_pixels" must be at most max_pixels/);
    expectError(() => parseQwen2VlConfig({ patch_size: -14 }), 'E_CHECKPOINT', /"patch_size" must be a positive integer/);
  });
});

describe('processor input errors', () => {
  const clip = parseClipConfig({});
  const next = parseLlavaNextConfig({});
  const qwen = parseQwen2VlConfig({});
  it('rejects empty, zero-size and malformed images with typed errors', () => {
    for (const cfg of [clip, next, qwen]) {
      expectError(() => preprocessImage({ width: 0, height: 0, data: new Uint8Array(0) }, cfg), 'E_IMAGE_SIZE', /positive integers/);
      expectError(() => preprocessImage({ width: Number.NaN, height: 2, data: new Uint8Array(0) }, cfg), 'E_IMAGE_SIZE', /positive integers/);
      expectError(() => preprocessImage({ width: 2, height: 2, data: new Uint8Array(3) }, cfg), 'E_SHAPE_MISMATCH', /needs 12 bytes/);
      expectError(() => preprocessImage({ width: 2, height: 2, data: new Float32Array(12) } as never, cfg), 'E_SHAPE_MISMATCH', /Uint8Array/);
    }
  });
  it('Qwen2-VL refuses an aspect ratio over 200 and unaligned sizes without resize', () => {
    expectError(() => qwen2VlPixelValues(synthetic(402, 2, 1, 'noise'), qwen), 'E_IMAGE_SIZE', /aspect ratio 201.0 exceeds 200/);
    expectError(() => qwen2VlPixelValues(synthetic(30, 28, 1, 'noise'), parseQwen2VlConfig({ do_resize: false })), 'E_IMAGE_SIZE', /multiples of patch_size × merge_size = 28/);
  });
  it('rejects an unknown processor kind', () => {
    expectError(() => preprocessImage(synthetic(2, 2, 1, 'noise'), { ...clip, kind: 'siglip' } as never), 'E_INVALID_OPTION', /unknown processor kind "siglip"/);
  });
});
