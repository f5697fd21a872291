import { ResPruneError } from '@resprune/errors';
import type { HfConfigLike, ImageSize } from './types.js';

/**
 * Reads a field by dotted path (`vision_config.patch_size`). Returns `undefined` when any part of
 * the path is missing or not an object.
 *
 * @param config - a parsed JSON object
 * @param path - dotted path, e.g. `vision_config.image_size`
 * @returns the value, or `undefined`
 * @example
 * ```ts
 * configField({ vision_config: { patch_size: 14 } }, 'vision_config.patch_size'); // 14
 * ```
 */
export function configField(config: HfConfigLike, path: string): unknown {
  let value: unknown = config;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  return `${JSON.stringify(value)}`;
}

function configError(file: string, path: string, value: unknown, expected: string): ResPruneError {
  const got = value === undefined ? 'is missing' : `is ${describe(value)}`;
  return new ResPruneError('E_BACKBONE_CONFIG', `${file}: "${path}" ${got}; expected ${expected}`, {
    details: { file, path, value },
  });
}

/** Options of {@link readInt}. */
export interface ReadIntOptions {
  /** Smallest accepted value (default 1). */
  readonly min?: number;
  /** Value used when the field is absent (absent and no fallback: error). */
  readonly fallback?: number;
  /** File name used in messages (default `config.json`). */
  readonly file?: string;
}

/**
 * Reads an integer field, with a one-line {@link @resprune/errors!ResPruneError} (`E_BACKBONE_CONFIG`)
 * naming the file, the field, what it holds and what was expected.
 *
 * @param config - the parsed JSON
 * @param path - dotted path of the field
 * @param options - minimum, fallback and file name for messages
 * @returns the integer
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` when absent (without fallback),
 *   not an integer, or below `min`
 * @example
 * ```ts
 * const patch = readInt(config, 'vision_config.patch_size'); // 14
 * ```
 */
export function readInt(config: HfConfigLike, path: string, options: ReadIntOptions = {}): number {
  const { min = 1, fallback, file = 'config.json' } = options;
  const value = configField(config, path);
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw configError(file, path, value, `an integer >= ${min}`);
  }
  return value;
}

/**
 * Reads an object field (a nested config such as `vision_config`).
 *
 * @param config - the parsed JSON
 * @param path - dotted path of the field
 * @param file - file name used in messages (default `config.json`)
 * @returns the nested object
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` when absent or not an object
 * @example
 * ```ts
 * const vision = readObject(config, 'vision_config');
 * ```
 */
export function readObject(config: HfConfigLike, path: string, file = 'config.json'): HfConfigLike {
  const value = configField(config, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw configError(file, path, value, 'an object');
  }
  return value as HfConfigLike;
}

/**
 * Reads a string field restricted to a set of values.
 *
 * @param config - the parsed JSON
 * @param path - dotted path of the field
 * @param choices - accepted values
 * @param fallback - value used when the field is absent
 * @param file - file name used in messages (default `config.json`)
 * @returns the value
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` when present but not one of `choices`
 * @example
 * ```ts
 * readChoice(config, 'vision_feature_select_strategy', ['default', 'full'] as const, 'default');
 * ```
 */
export function readChoice<T extends string>(
  config: HfConfigLike,
  path: string,
  choices: readonly T[],
  fallback: T,
  file = 'config.json',
): T {
  const value = configField(config, path);
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw configError(file, path, value, `one of ${choices.map((c) => `"${c}"`).join(', ')}`);
  }
  return value as T;
}

/**
 * Reads a non-empty list of positive integer pairs, such as LLaVA-NeXT `image_grid_pinpoints`
 * (`[[height, width], …]`).
 *
 * @param config - the parsed JSON
 * @param path - dotted path of the field
 * @param file - file name used in messages (default `config.json`)
 * @returns the pairs, as `[first, second]` tuples
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` when absent, empty or malformed
 * @example
 * ```ts
 * readIntPairs(config, 'image_grid_pinpoints'); // [[336, 672], [672, 336], …]
 * ```
 */
export function readIntPairs(config: HfConfigLike, path: string, file = 'config.json'): Array<[number, number]> {
  const value = configField(config, path);
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (pair) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        pair.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1),
    );
  if (!ok) throw configError(file, path, value, 'a non-empty list of [height, width] pairs of positive integers');
  return (value as number[][]).map((pair) => [pair[0]!, pair[1]!]);
}

/**
 * Reads an optional integer token id (such as `image_token_index`), trying several field names.
 *
 * @param config - the parsed JSON
 * @param paths - field names to try in order
 * @returns the first integer found, or `undefined`
 * @example
 * ```ts
 * readTokenId(config, ['image_token_index', 'image_token_id']); // 32000
 * ```
 */
export function readTokenId(config: HfConfigLike, paths: readonly string[]): number | undefined {
  for (const path of paths) {
    const value = configField(config, path);
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * Checks one image size: both sides integers ≥ 1 whose product is a safe integer.
 *
 * @param size - the image size
 * @param what - how to name the image in messages (default `image`)
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for zero, negative, fractional,
 *   non-finite or oversized values
 * @example
 * ```ts
 * validateImageSize({ width: 640, height: 480 }); // ok
 * validateImageSize({ width: 0, height: 480 });   // throws E_IMAGE_SIZE
 * ```
 */
export function validateImageSize(size: ImageSize, what = 'image'): void {
  const w = (size as { width?: unknown } | null)?.width;
  const h = (size as { height?: unknown } | null)?.height;
  const good = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
  if (!good(w) || !good(h) || !Number.isSafeInteger(w * h)) {
    throw new ResPruneError(
      'E_IMAGE_SIZE',
      `${what}: size must be integers width >= 1 and height >= 1 (pixels), got ${String(w)}x${String(h)}`,
      { details: { width: w, height: h } },
    );
  }
}
