import { expectError } from '@resprune/test-backends';
import { describe, expect, it } from 'vitest';
import { pilCoefficients, PilResample, resizePil, type PilResampleFilter } from '../src/index.js';
import { golden, sha256, synthetic } from './helpers.js';

interface ResizeCase {
  src: [number, number];
  dst: [number, number];
  filter: PilResampleFilter;
  kind: 'noise' | 'smooth';
  seed: number;
  sha256: string;
  samples: Array<[number, number]>;
  bytes: number[] | null;
}
const { pillow, cases } = golden<{ pillow: string; cases: ResizeCase[] }>('resize.json');

describe(`resizePil equals Pillow ${pillow} Image.resize bit for bit`, () => {
  it('has golden cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  it.each(cases.map((c) => [`${c.src.join('x')} -> ${c.dst.join('x')} filter ${c.filter} (${c.kind})`, c] as const))('%s', (_, c) => {
    const src = synthetic(c.src[0], c.src[1], c.seed, c.kind);
    const out = resizePil(src, c.dst[0], c.dst[1], c.filter);
    expect([out.width, out.height]).toEqual(c.dst);
    if (c.bytes !== null) expect(Array.from(out.data)).toEqual(c.bytes);
    expect(c.samples.map(([i]) => [i, out.data[i]])).toEqual(c.samples);
    expect(sha256(out.data)).toBe(c.sha256);
  });
});

describe('resizePil', () => {
  it('returns a copy for the same size, never the input buffer', () => {
    const src = synthetic(5, 4, 1, 'noise');
    const out = resizePil(src, 5, 4);
    expect(out.data).not.toBe(src.data);
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
  });

  it('keeps a constant image constant (weights sum to one in fixed point)', () => {
    const src = { width: 37, height: 23, data: new Uint8Array(37 * 23 * 3).fill(201) };
    for (const [w, h] of [[5, 3], [80, 61], [37, 7], [1, 1]] as const) {
      expect(new Set(resizePil(src, w, h).data)).toEqual(new Set([201]));
    }
  });

  it('rejects empty, fractional and non-finite sizes with E_IMAGE_SIZE', () => {
    const src = synthetic(4, 4, 2, 'noise');
    expectError(() => resizePil(src, 0, 4), 'E_IMAGE_SIZE', /positive integers/);
    expectError(() => resizePil(src, 4, -1), 'E_IMAGE_SIZE', /positive integers/);
    expectError(() => resizePil(src, 2.5, 4), 'E_IMAGE_SIZE', /positive integers/);
    expectError(() => resizePil(src, Number.NaN, 4), 'E_IMAGE_SIZE', /positive integers/);
    expectError(() => resizePil(src, 4, Number.POSITIVE_INFINITY), 'E_IMAGE_SIZE', /positive integers/);
  });

  it('rejects malformed images', () => {
    expectError(() => resizePil({ width: 0, height: 3, data: new Uint8Array(0) }, 2, 2), 'E_IMAGE_SIZE', /positive integers/);
    expectError(() => resizePil({ width: 2, height: 2, data: new Uint8Array(11) }, 2, 2), 'E_SHAPE_MISMATCH', /needs 12 bytes, got 11/);
    expectError(() => resizePil({ width: 2, height: 2, data: [1, 2] } as never, 2, 2), 'E_SHAPE_MISMATCH', /Uint8Array/);
    expectError(() => resizePil(null as never, 2, 2), 'E_SHAPE_MISMATCH', /RgbImage/);
  });

  it('rejects NEAREST and unknown filters with E_INVALID_OPTION', () => {
    const src = synthetic(4, 4, 3, 'noise');
    expectError(() => resizePil(src, 2, 2, 0 as PilResampleFilter), 'E_INVALID_OPTION', /NEAREST \(0\) is not a convolution/);
    expectError(() => resizePil(src, 2, 2, 9 as PilResampleFilter), 'E_INVALID_OPTION', /filter 9 is not supported/);
  });
});

describe('pilCoefficients', () => {
  it('widens the bicubic support by the downscale factor and normalises to 2^22', () => {
    const c = pilCoefficients(100, 10, PilResample.BICUBIC);
    expect(c.ksize).toBe(2 * Math.ceil(2 * 10) + 1);
    for (let i = 0; i < 10; i++) {
      let sum = 0;
      for (let k = 0; k < c.ksize; k++) sum += c.weights[i * c.ksize + k]!;
      // Each weight is rounded on its own, so the sum is within one unit per tap of 2^22.
      expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(c.bounds[i * 2 + 1]!);
    }
  });

  it('keeps the plain kernel width when upscaling', () => {
    const c = pilCoefficients(10, 100, PilResample.BICUBIC);
    expect(c.ksize).toBe(5);
    expect(c.bounds[0]).toBe(0);
  });
});
