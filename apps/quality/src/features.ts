import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { decodeImage, type RgbImage } from '@resprune/image-features';
import type { FeatureExtractor } from '@resprune/mobilenet-features';
import { readNpyFile, toFloat32, writeNpyFile } from '@resprune/npy';

/** One photo's visual tokens. */
export interface PhotoTokens {
  /** File name, e.g. `dog.jpg`. */
  readonly name: string;
  /** Absolute path of the photo. */
  readonly path: string;
  /** `[n, d]` row-major MobileNetV2 `out_relu` tokens, grid order. */
  readonly tokens: Float32Array;
  /** Token count (rows × cols). */
  readonly n: number;
  /** Features per token (1280). */
  readonly d: number;
  /** Grid rows. */
  readonly rows: number;
  /** Grid columns. */
  readonly cols: number;
  /** Whether the tokens came from the .npy cache. */
  readonly cached: boolean;
  /** Extraction time in ms (0 when cached). */
  readonly extractMs: number;
}

/** Input side: 768 px gives the 24 × 24 = 576-token grid of LLaVA-1.5. */
export const INPUT_SIZE = 768;

async function fresh(cacheFile: string, source: string): Promise<boolean> {
  try {
    const [c, s] = await Promise.all([stat(cacheFile), stat(source)]);
    return c.mtimeMs >= s.mtimeMs;
  } catch {
    return false;
  }
}

/**
 * The photo's tokens, from `cacheDir/<name>-<size>.npy` when that is newer than the photo,
 * otherwise extracted with `getNet()` and written to the cache.
 */
export async function photoTokens(path: string, cacheDir: string, getNet: () => Promise<FeatureExtractor>): Promise<PhotoTokens> {
  const name = basename(path);
  const grid = INPUT_SIZE / 32;
  const cacheFile = join(cacheDir, `${name}-${INPUT_SIZE}.npy`);
  if (await fresh(cacheFile, path)) {
    const a = await readNpyFile(cacheFile);
    const [n, d] = a.shape as [number, number];
    return { name, path, tokens: toFloat32(a), n, d, rows: grid, cols: grid, cached: true, extractMs: 0 };
  }
  const net = await getNet();
  const image: RgbImage = await decodeImage(path);
  const t0 = performance.now();
  const f = await net.extract(image, { size: INPUT_SIZE });
  const extractMs = performance.now() - t0;
  await mkdir(cacheDir, { recursive: true });
  await writeNpyFile(cacheFile, f.tokens, [f.rows * f.cols, f.d]);
  return { name, path, tokens: f.tokens, n: f.rows * f.cols, d: f.d, rows: f.rows, cols: f.cols, cached: false, extractMs };
}
