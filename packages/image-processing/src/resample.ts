import { ResPruneError } from '@resprune/errors';
import { assertRgbImage, assertSize, type RgbImage } from './image.js';

/**
 * Pillow's resampling filters, by the integer value of `PIL.Image.Resampling` (the `resample`
 * field of a `preprocessor_config.json`). `NEAREST` (0) is not a convolution and is not supported.
 *
 * @example
 * ```ts
 * resizePil(img, 224, 224, PilResample.BICUBIC);
 * ```
 */
export const PilResample = {
  /** `Image.LANCZOS` (1): windowed sinc, support 3. */
  LANCZOS: 1,
  /** `Image.BILINEAR` (2): triangle, support 1. */
  BILINEAR: 2,
  /** `Image.BICUBIC` (3): cubic convolution with a = −0.5, support 2. What HF's processors use. */
  BICUBIC: 3,
  /** `Image.BOX` (4): box, support 0.5. */
  BOX: 4,
  /** `Image.HAMMING` (5): Hamming-windowed sinc, support 1. */
  HAMMING: 5,
} as const;

/** One of the {@link PilResample} values. */
export type PilResampleFilter = (typeof PilResample)[keyof typeof PilResample];

interface Filter {
  readonly kernel: (x: number) => number;
  readonly support: number;
}

// Kernels as Pillow defines them (libImaging/Resample.c), written from the formulas.
const bicubic = (x: number): number => {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
};
const bilinear = (x: number): number => {
  const t = Math.abs(x);
  return t < 1 ? 1 - t : 0;
};
const box = (x: number): number => (x > -0.5 && x <= 0.5 ? 1 : 0);
const sinc = (x: number): number => {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
};
const lanczos = (x: number): number => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0);
// Pillow multiplies by the float constants 0.54f and 0.46f (promoted to double).
const F054 = Math.fround(0.54);
const F046 = Math.fround(0.46);
const hamming = (x: number): number => {
  const t = Math.abs(x);
  if (t === 0) return 1;
  if (t >= 1) return 0;
  const px = t * Math.PI;
  return (Math.sin(px) / px) * (F054 + F046 * Math.cos(px));
};

const FILTERS: Readonly<Record<PilResampleFilter, Filter>> = {
  1: { kernel: lanczos, support: 3 },
  2: { kernel: bilinear, support: 1 },
  3: { kernel: bicubic, support: 2 },
  4: { kernel: box, support: 0.5 },
  5: { kernel: hamming, support: 1 },
};

/** Fixed-point fraction bits Pillow uses for 8-bit images: 32 − 8 − 2 = 22. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS; // 2^22
const HALF = 1 << (PRECISION_BITS - 1);

/**
 * The resampling weights of one axis, as Pillow's `precompute_coeffs` followed by
 * `normalize_coeffs_8bpc` computes them.
 */
export interface PilCoefficients {
  /** Taps per output sample (`ksize`): `2·ceil(support·max(scale, 1)) + 1`. */
  readonly ksize: number;
  /** `2 · outSize` integers: for output i, the first input index and the number of taps. */
  readonly bounds: Int32Array;
  /** `outSize · ksize` fixed-point weights (22 fractional bits); unused taps are 0. */
  readonly weights: Int32Array;
}

/**
 * Computes Pillow's fixed-point resampling weights for one axis: scale = in/out; the filter support
 * widens by the scale when downscaling (antialiasing); taps from `trunc(center − support + 0.5)` to
 * `trunc(center + support + 0.5)` clipped to the input; double-precision weights normalised to sum 1,
 * then rounded half away from zero to 22 fractional bits.
 *
 * @param inSize - input samples along the axis
 * @param outSize - output samples
 * @param filter - a {@link PilResample} value
 * @param in0 - start of the source box (Pillow's `box`, single precision), default 0
 * @param in1 - end of the source box, default `inSize`
 * @returns the weights and bounds
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for non-positive sizes;
 *   `E_INVALID_OPTION` for an unsupported filter
 * @example
 * ```ts
 * const c = pilCoefficients(4, 2, PilResample.BICUBIC);
 * c.ksize; // 9 (support 2 × scale 2 → 4, so 2·4 + 1 taps)
 * ```
 */
export function pilCoefficients(
  inSize: number,
  outSize: number,
  filter: PilResampleFilter = PilResample.BICUBIC,
  in0 = 0,
  in1 = inSize,
): PilCoefficients {
  assertSize('pilCoefficients', inSize, outSize);
  const f = filterOf('pilCoefficients', filter);
  // Pillow passes the box as C floats; (in1 - in0) is a float subtraction.
  const b0 = Math.fround(in0);
  const span = Math.fround(Math.fround(in1) - b0);
  const scale = span / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = f.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = b0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = f.kernel((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      // normalize_coeffs_8bpc: (int)(±0.5 + w · 2^22), truncating toward zero.
      weights[base + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function filterOf(op: string, filter: number): Filter {
  const f = FILTERS[filter as PilResampleFilter];
  if (f === undefined) {
    throw new ResPruneError(
      'E_INVALID_OPTION',
      `${op}: resample filter ${String(filter)} is not supported; use one of ${Object.entries(PilResample)
        .map(([n, v]) => `${v} (${n})`)
        .join(', ')}. NEAREST (0) is not a convolution filter and is not implemented.`,
      { details: { filter } },
    );
  }
  return f;
}

/** Pillow's clip8: `in >> 22` (arithmetic, i.e. floor), clamped to 0..255. */
function clip8(acc: number): number {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Horizontal pass over rows `[rowOffset, rowOffset + outRows)` of `src` (width `srcWidth`), as
 * `ImagingResampleHorizontal_8bpc` does for 3-band images.
 */
function horizontal(src: Uint8Array, srcWidth: number, rowOffset: number, outRows: number, outWidth: number, c: PilCoefficients): Uint8Array {
  const out = new Uint8Array(outRows * outWidth * 3);
  const { ksize, bounds, weights } = c;
  for (let yy = 0; yy < outRows; yy++) {
    const rowBase = (yy + rowOffset) * srcWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      const kb = xx * ksize;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < xmax; x++) {
        const w = weights[kb + x]!;
        const p = rowBase + (x + xmin) * 3;
        s0 += src[p]! * w;
        s1 += src[p + 1]! * w;
        s2 += src[p + 2]! * w;
      }
      const o = (yy * outWidth + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/** Vertical pass, as `ImagingResampleVertical_8bpc` does for 3-band images. */
function vertical(src: Uint8Array, width: number, outHeight: number, c: PilCoefficients): Uint8Array {
  const out = new Uint8Array(outHeight * width * 3);
  const { ksize, bounds, weights } = c;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2]!;
    const ymax = bounds[yy * 2 + 1]!;
    const kb = yy * ksize;
    for (let xx = 0; xx < width; xx++) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let y = 0; y < ymax; y++) {
        const w = weights[kb + y]!;
        const p = ((y + ymin) * width + xx) * 3;
        s0 += src[p]! * w;
        s1 += src[p + 1]! * w;
        s2 += src[p + 2]! * w;
      }
      const o = (yy * width + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/**
 * Resizes an 8-bit RGB image exactly as `PIL.Image.resize((width, height), resample)` does
 * (Pillow's `ImagingResample` for mode `"RGB"`, whole-image box, no `reducing_gap`, which is what
 * Hugging Face's processors use). The same size returns a copy. Otherwise Pillow's two-pass order
 * is followed: the vertical weights are computed first and fix which source rows are needed; if the
 * width changes, a horizontal pass produces just those rows (fixed point, rounded and clipped to
 * uint8); if the height changes, a vertical pass over that intermediate (rounded and clipped again)
 * produces the output. Weights come from {@link pilCoefficients}. Pure TypeScript, browser-safe.
 *
 * @param image - the source pixels
 * @param width - output width (positive integer)
 * @param height - output height (positive integer)
 * @param filter - a {@link PilResample} value; default bicubic
 * @returns a new image of `width × height`
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for a non-positive or fractional
 *   size; `E_SHAPE_MISMATCH` for a malformed image; `E_INVALID_OPTION` for an unsupported filter
 * @example
 * ```ts
 * const small = resizePil(img, 336, 252); // same bytes as np.array(pil.resize((336, 252), Image.BICUBIC))
 * ```
 */
export function resizePil(image: RgbImage, width: number, height: number, filter: PilResampleFilter = PilResample.BICUBIC): RgbImage {
  const op = 'resizePil';
  assertRgbImage(op, image);
  assertSize(op, width, height);
  filterOf(op, filter);
  const { width: inW, height: inH } = image;
  if (inW === width && inH === height) return { width, height, data: image.data.slice() };
  const needHorizontal = width !== inW;
  const needVertical = height !== inH;
  const vert = pilCoefficients(inH, height, filter);
  // Rows of the source the vertical pass reads.
  const yFirst = vert.bounds[0]!;
  const yLast = vert.bounds[height * 2 - 2]! + vert.bounds[height * 2 - 1]!;
  let data = image.data;
  let rows = inH;
  let vBounds = vert.bounds;
  if (needHorizontal) {
    const horiz = pilCoefficients(inW, width, filter);
    rows = yLast - yFirst;
    data = horizontal(image.data, inW, yFirst, rows, width, horiz);
    // Shift the vertical bounds onto the intermediate's rows.
    vBounds = vert.bounds.slice();
    for (let i = 0; i < height; i++) vBounds[i * 2] = vBounds[i * 2]! - yFirst;
  }
  if (needVertical) {
    data = vertical(data, width, height, { ksize: vert.ksize, bounds: vBounds, weights: vert.weights });
    rows = height;
  }
  if (rows !== height) {
    throw new ResPruneError('E_INTERNAL', `${op}: intermediate has ${rows} rows, expected ${height}`);
  }
  return { width, height, data };
}
