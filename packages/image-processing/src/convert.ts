import { ResPruneError } from '@resprune/errors';
import { assertSize, type RgbImage } from './image.js';

/**
 * The PIL modes {@link convertToRgb} understands: `L` (grey), `LA` (grey + alpha), `RGB`, `RGBA`
 * and `P` (palette indices).
 *
 * @example
 * ```ts
 * const mode: PilMode = 'LA';
 * ```
 */
export type PilMode = 'L' | 'LA' | 'RGB' | 'RGBA' | 'P';

/**
 * Decoded 8-bit pixels with 1–4 interleaved channels, as a decoder hands them out (sharp's raw
 * output, a canvas `ImageData` with 4 channels, a palette PNG's indices).
 *
 * @example
 * ```ts
 * const grey: DecodedPixels = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) };
 * ```
 */
export interface DecodedPixels {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Interleaved channels per pixel: 1 (L or P), 2 (LA), 3 (RGB), 4 (RGBA). */
  readonly channels: 1 | 2 | 3 | 4;
  /** `[height, width, channels]` bytes. */
  readonly data: Uint8Array;
  /**
   * The PIL mode the bytes are in. Default: from `channels` (1 → `L`, 2 → `LA`, 3 → `RGB`,
   * 4 → `RGBA`); set `P` for palette indices and give {@link DecodedPixels.palette}.
   */
  readonly mode?: PilMode;
  /** For mode `P`: the palette, 3 bytes (R, G, B) per entry, as `Image.getpalette()` returns it. */
  readonly palette?: Uint8Array;
}

const DEFAULT_MODE: Readonly<Record<1 | 2 | 3 | 4, PilMode>> = { 1: 'L', 2: 'LA', 3: 'RGB', 4: 'RGBA' };
const MODE_CHANNELS: Readonly<Record<PilMode, number>> = { L: 1, LA: 2, RGB: 3, RGBA: 4, P: 1 };

/**
 * PIL's `Image.convert("RGB")` (what HF's `convert_to_rgb` and `do_convert_rgb` call) on decoded
 * 8-bit pixels: `RGB` is copied; `RGBA` drops alpha with **no** compositing (a transparent pixel
 * keeps its stored colour); `L` is replicated to R = G = B; `LA` replicates the grey and drops
 * alpha; `P` looks each index up in the palette (an index past the given entries maps to grey
 * `(i, i, i)`, as PIL's palette starts as a grey ramp).
 *
 * @param pixels - decoded pixels with 1–4 channels
 * @returns a new {@link RgbImage}
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for empty or fractional sides;
 *   `E_SHAPE_MISMATCH` when the byte count or channel count does not match the mode;
 *   `E_INVALID_OPTION` for an unknown mode or a `P` image without a palette
 * @example
 * ```ts
 * convertToRgb({ width: 1, height: 1, channels: 4, data: new Uint8Array([10, 20, 30, 0]) }).data;
 * // Uint8Array [10, 20, 30]: alpha dropped, not composited on white
 * ```
 */
export function convertToRgb(pixels: DecodedPixels): RgbImage {
  const op = 'convertToRgb';
  if (pixels === null || typeof pixels !== 'object' || !(pixels.data instanceof Uint8Array)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: expected { width, height, channels, data: Uint8Array }`);
  }
  const { width, height, channels, data } = pixels;
  assertSize(op, width, height);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: channels must be 1, 2, 3 or 4, got ${String(channels)}`, { details: { channels } });
  }
  const mode = pixels.mode ?? DEFAULT_MODE[channels];
  const need = MODE_CHANNELS[mode];
  if (need === undefined) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: unknown mode ${JSON.stringify(mode)}; use L, LA, RGB, RGBA or P`, { details: { mode } });
  }
  if (need !== channels) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: mode ${mode} has ${need} channel(s), got channels = ${channels}`, { details: { mode, channels } });
  }
  const n = width * height;
  if (data.length !== n * channels) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${width}×${height}×${channels} needs ${n * channels} bytes, got ${data.length}`, {
      details: { width, height, channels, bytes: data.length },
    });
  }
  const out = new Uint8Array(n * 3);
  switch (mode) {
    case 'RGB':
      out.set(data);
      break;
    case 'RGBA':
      for (let i = 0; i < n; i++) {
        out[i * 3] = data[i * 4]!;
        out[i * 3 + 1] = data[i * 4 + 1]!;
        out[i * 3 + 2] = data[i * 4 + 2]!;
      }
      break;
    case 'L':
    case 'LA':
      for (let i = 0; i < n; i++) {
        const v = data[i * channels]!;
        out[i * 3] = v;
        out[i * 3 + 1] = v;
        out[i * 3 + 2] = v;
      }
      break;
    case 'P': {
      const pal = pixels.palette;
      if (!(pal instanceof Uint8Array)) {
        throw new ResPruneError('E_INVALID_OPTION', `${op}: mode P needs a palette (Uint8Array of R, G, B triples)`);
      }
      const entries = Math.floor(pal.length / 3);
      for (let i = 0; i < n; i++) {
        const idx = data[i]!;
        if (idx < entries) {
          out[i * 3] = pal[idx * 3]!;
          out[i * 3 + 1] = pal[idx * 3 + 1]!;
          out[i * 3 + 2] = pal[idx * 3 + 2]!;
        } else {
          // PIL's palette starts as a grey ramp; entries past the given ones stay (i, i, i).
          out[i * 3] = idx;
          out[i * 3 + 1] = idx;
          out[i * 3 + 2] = idx;
        }
      }
      break;
    }
  }
  return { width, height, data: out };
}
