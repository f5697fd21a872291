import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPath } from '@resprune/test-backends';
import type { RgbImage } from '../src/index.js';

export const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

/** Parsed golden JSON written by test/golden/make-golden.py. */
export function golden<T>(name: string): T {
  return JSON.parse(readFileSync(join(GOLDEN, name), 'utf8')) as T;
}

/** SHA-256 (hex) of the bytes of a typed array as laid out in memory (little-endian here). */
export function sha256(a: Uint8Array | Float32Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

/** The shared photos folder, or undefined when ../shared is absent (tests then skip with a notice). */
export function sharedImages(): string | undefined {
  const dir = sharedPath('images');
  return existsSync(dir) ? dir : undefined;
}

function hash32(i: number, seed: number): number {
  let h = (Math.imul(i, 2654435761 | 0) + Math.imul(seed, 40503)) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 2246822519 | 0) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  return h;
}

/**
 * The seeded synthetic images of make-golden.py's `synthetic()`: `noise` is hashed bytes, `smooth`
 * gradients plus a little noise.
 */
export function synthetic(width: number, height: number, seed: number, kind: 'noise' | 'smooth'): RgbImage {
  const n = width * height * 3;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const noise = hash32(i, seed) >>> 24;
    if (kind === 'noise') {
      data[i] = noise;
      continue;
    }
    const px = Math.floor(i / 3);
    const x = px % width;
    const y = Math.floor(px / width);
    const c = i % 3;
    const gx = Math.floor((x * 255) / Math.max(1, width - 1)) * (c + 1);
    const gy = Math.floor((y * 255) / Math.max(1, height - 1)) * (3 - c);
    const v = Math.floor((gx + gy) / 4) + (noise & 31) - 16;
    data[i] = Math.min(255, Math.max(0, v));
  }
  return { width, height, data };
}

/** Float32 samples as written by the golden script: [index, value, uint32 bits]. */
export type F32Sample = [number, number, number];

/** Compares float32 samples bit for bit; returns the mismatches (empty when equal). */
export function f32Mismatches(values: Float32Array, samples: readonly F32Sample[]): string[] {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return samples.filter(([i, , b]) => bits[i] !== b).map(([i, v]) => `[${i}] got ${values[i]}, expected ${v}`);
}
