import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkRegularFile, readRegularFileSync } from '@resprune/node-files';
import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError, isResPruneError } from '@resprune/errors';
import { openSafetensors, readSafetensorsHeader, type SafetensorsHeader, type SafetensorsReader } from '@resprune/safetensors';

/** Name of the single-file weights in a Hugging Face checkpoint. */
export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
/** Name of the shard index in a sharded Hugging Face checkpoint. */
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

/**
 * Which tensor-name layout a checkpoint uses.
 *
 * - `published`: the names of the llava-hf repositories as uploaded (`language_model.model.layers.0…`,
 *   `language_model.lm_head.weight`, `vision_tower.…`, `multi_modal_projector.…`, `image_newline`).
 * - `transformers-4.52`: the layout that `save_pretrained` writes since transformers 4.52
 *   (`model.language_model.layers.0…`, `lm_head.weight`, `model.vision_tower.…`, `model.multi_modal_projector.…`,
 *   `model.image_newline`).
 */
export type TensorNameLayout = 'published' | 'transformers-4.52';

/** Maps a `published` (canonical) tensor name to its name in `layout`. */
export function layoutName(canonical: string, layout: TensorNameLayout): string {
  if (layout === 'published') return canonical;
  if (canonical.startsWith('language_model.model.')) return 'model.language_model.' + canonical.slice('language_model.model.'.length);
  if (canonical === 'language_model.lm_head.weight') return 'lm_head.weight';
  return 'model.' + canonical;
}

/** Progress of a weight load, reported after each tensor. */
export interface LoadProgress {
  /** Bytes of tensor data read so far (as stored, before conversion to float32). */
  readonly loadedBytes: number;
  /** Bytes of tensor data to read in all. */
  readonly totalBytes: number;
  /** The shard being read. */
  readonly file: string;
  /** The tensor just read (canonical name). */
  readonly tensor: string;
}

/** Where a checkpoint's tensors live: shard file per stored name. */
export interface CheckpointFiles {
  /** The checkpoint directory. */
  readonly dir: string;
  /** Stored tensor name → absolute shard path. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** Shard paths, sorted by name (model-00001-of-… first). */
  readonly shards: readonly string[];
  /** The detected name layout. */
  readonly layout: TensorNameLayout;
}

/**
 * Largest JSON file of a checkpoint that is read (config, index, tokenizer, chat template): 64 MiB.
 * The largest real ones (tokenizer.json of 256k-token vocabularies) are about 35 MB.
 */
export const MAX_CHECKPOINT_JSON_BYTES = 64 << 20;

/**
 * Reads a small text file of a checkpoint through the shared bounded reader: only a regular file
 * (a FIFO or device is refused without being opened), at most {@link MAX_CHECKPOINT_JSON_BYTES}.
 */
export function readCheckpointText(file: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(file, { op: 'checkpoint', maxBytes: MAX_CHECKPOINT_JSON_BYTES, raise: 'a checkpoint file this large is not supported' });
  } catch (e) {
    const err = e as ResPruneError;
    throw new ResPruneError(err.code, err.message, { cause: err, details: { ...err.details, file } });
  }
  return new TextDecoder().decode(bytes);
}

function readJson(file: string, code: 'E_CHECKPOINT' | 'E_TOKENIZER' = 'E_CHECKPOINT'): unknown {
  const text = readCheckpointText(file);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ResPruneError(code, `${file}: not valid JSON.`, { cause, details: { file } });
  }
}

/**
 * Reads a JSON file of a checkpoint directory.
 *
 * @param file - path
 * @param code - error code for invalid JSON
 * @returns the parsed value
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when missing, unreadable or not a regular file (a FIFO
 *   or device is refused without being opened), `E_LIMIT` above 64 MiB, `code` when not JSON
 * @example
 * ```ts
 * const cfg = readJsonFile('ckpt/config.json');
 * ```
 */
export function readJsonFile(file: string, code: 'E_CHECKPOINT' | 'E_TOKENIZER' = 'E_CHECKPOINT'): unknown {
  return readJson(file, code);
}

/**
 * Finds the weight files of a Hugging Face checkpoint directory: `model.safetensors`, or the shards named
 * by `model.safetensors.index.json`. Every shard the index names must exist. Headers are not read yet.
 *
 * @param dir - checkpoint directory
 * @returns the stored-name → shard map and the detected name layout
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when `dir` does not exist, `E_CHECKPOINT` when there are no
 *   weights, the index is malformed or a shard is missing (`details.file`)
 * @example
 * ```ts
 * const files = locateWeights('llava-1.5-7b-hf');
 * files.shards; // ['.../model-00001-of-00003.safetensors', ...]
 * ```
 */
export function locateWeights(dir: string): CheckpointFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ResPruneError('E_FILE_NOT_FOUND', `${dir}: checkpoint directory does not exist.`, { details: { file: dir } });
  }
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  const singlePath = join(dir, SINGLE_WEIGHTS_FILE);
  const weightMap = new Map<string, string>();
  let shards: string[];
  if (existsSync(indexPath)) {
    const index = readJson(indexPath) as { weight_map?: unknown } | null;
    const wm = index?.weight_map;
    if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) {
      throw new ResPruneError('E_CHECKPOINT', `${indexPath}: expected an object with a "weight_map" of tensor name → shard file.`, { details: { file: indexPath } });
    }
    const seen = new Set<string>();
    for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
        throw new ResPruneError('E_CHECKPOINT', `${indexPath}: tensor "${name}" maps to ${JSON.stringify(shard)}, expected a file name in the directory.`, {
          details: { file: indexPath, tensor: name },
        });
      }
      const path = join(dir, shard);
      weightMap.set(name, path);
      seen.add(path);
    }
    shards = [...seen].sort();
    for (const s of shards) {
      if (!existsSync(s)) {
        throw new ResPruneError('E_CHECKPOINT', `${s}: shard named by ${WEIGHTS_INDEX_FILE} is missing.`, { details: { file: s } });
      }
      checkRegularFile(s, { op: `shard of ${WEIGHTS_INDEX_FILE}` }); // a FIFO or device as a shard: refused now, not when its header is read
    }
  } else if (existsSync(singlePath)) {
    shards = [singlePath];
    for (const name of readSafetensorsHeader(singlePath).tensors.keys()) weightMap.set(name, singlePath);
  } else {
    throw new ResPruneError('E_CHECKPOINT', `${dir}: no ${SINGLE_WEIGHTS_FILE} and no ${WEIGHTS_INDEX_FILE}.`, { details: { file: dir } });
  }
  const names = [...weightMap.keys()];
  const layout: TensorNameLayout = names.some((n) => n.startsWith('model.language_model.')) ? 'transformers-4.52' : 'published';
  return { dir, weightMap, shards, layout };
}

/** Expected parameters: canonical (`published`-layout) name → shape. */
export type WeightSpec = ReadonlyMap<string, readonly number[]>;

/** Loaded parameters, float32 on the active backend, by canonical name. The owner disposes them. */
export interface LoadedWeights {
  /** Canonical name → tensor. */
  readonly tensors: ReadonlyMap<string, tf.Tensor>;
  /** The name layout the checkpoint used. */
  readonly layout: TensorNameLayout;
  /** Bytes held on the backend (float32). */
  readonly bytes: number;
  /**
   * Canonical names of the 2-D tensors held transposed (`[in, out]` instead of the checkpoint's `[out, in]`),
   * as {@link LoadWeightsOptions.transpose} asked. Aliases (tied weights) are never transposed.
   */
  readonly transposed: ReadonlySet<string>;
}

/** Options for {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Called after each tensor is read. */
  readonly onProgress?: (p: LoadProgress) => void;
  /**
   * Canonical names that may be absent, with the canonical name to use in their place
   * (e.g. a tied `language_model.lm_head.weight` → `language_model.model.embed_tokens.weight`).
   */
  readonly fallbacks?: ReadonlyMap<string, string>;
  /**
   * Which 2-D tensors to hold transposed (`[in, out]`), e.g. linear weights: `x · W` with a pre-transposed weight
   * avoids `matMul(x, W, false, true)`, which re-lays out the `[out, in]` weight on every call on the tfjs wasm
   * and cpu backends. Each tensor is transposed right after it is read and its original freed, one at a time,
   * so backend memory stays near the model's size. Shapes are checked against the spec before transposing.
   */
  readonly transpose?: (canonical: string) => boolean;
  /** The stored name of a canonical tensor in a layout (default {@link layoutName}, the LLaVA names). */
  readonly storedName?: (canonical: string, layout: TensorNameLayout) => string;
  /** Check every value for NaN and ±Infinity as it is read (default false); a bad tensor fails with `E_NON_FINITE`. */
  readonly checkFinite?: boolean;
  /** Cancels the load between tensors with `E_ABORTED`; every tensor read so far is freed. */
  readonly signal?: AbortSignal;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Loads the named parameters of a checkpoint, one shard at a time and one tensor at a time, so peak host
 * memory stays near the model's float32 size. Every shard header is validated and every tensor's shape
 * checked before any data is read. F32, F16 and BF16 are converted to float32.
 *
 * If anything fails, every tensor created so far is disposed before the error propagates.
 *
 * @param files - from {@link locateWeights}
 * @param spec - canonical name → expected shape
 * @param options - progress callback, tied-weight fallbacks, tensors to hold transposed
 * @returns the tensors by canonical name
 * @throws {@link @resprune/errors!ResPruneError} `E_TENSOR_MISSING` (`details.tensor`, `details.file`), `E_TENSOR_SHAPE`
 *   (expected and received shapes), `E_SAFETENSORS` / `E_FILE_CORRUPT` for a bad shard, `E_DTYPE` for a non-float tensor
 * @example
 * ```ts
 * const w = await loadWeights(locateWeights(dir), new Map([['image_newline', [4096]]]));
 * w.tensors.get('image_newline')!.print();
 * ```
 */
export async function loadWeights(files: CheckpointFiles, spec: WeightSpec, options: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const headers = new Map<string, SafetensorsHeader>();
  const header = (file: string): SafetensorsHeader => {
    let h = headers.get(file);
    if (h === undefined) {
      h = readSafetensorsHeader(file);
      headers.set(file, h);
    }
    return h;
  };
  // Plan: canonical → (stored name, file, alias), all validated before reading any data.
  const plan = new Map<string, { stored: string; file: string; bytes: number }[]>();
  const aliases = new Map<string, string>();
  let totalBytes = 0;
  const storedName = options.storedName ?? layoutName;
  for (const [canonical, shape] of spec) {
    const stored = storedName(canonical, files.layout);
    const file = files.weightMap.get(stored);
    if (file === undefined) {
      const fb = options.fallbacks?.get(canonical);
      if (fb !== undefined && spec.has(fb)) {
        aliases.set(canonical, fb);
        continue;
      }
      throw new ResPruneError('E_TENSOR_MISSING', `${files.dir}: checkpoint has no tensor "${stored}" (needed for the configured model).`, {
        details: { file: files.dir, tensor: stored },
      });
    }
    const entry = header(file).tensors.get(stored);
    if (entry === undefined) {
      throw new ResPruneError('E_TENSOR_MISSING', `${file}: the index places tensor "${stored}" in this shard, but the shard does not contain it.`, {
        details: { file, tensor: stored },
      });
    }
    if (!sameShape(entry.shape, shape)) {
      throw new ResPruneError('E_TENSOR_SHAPE', `${file}: tensor "${stored}" has shape [${entry.shape.join(', ')}], the config implies [${shape.join(', ')}].`, {
        details: { file, tensor: stored, expected: [...shape], received: [...entry.shape] },
      });
    }
    if (!['F32', 'F16', 'BF16'].includes(entry.dtype)) {
      throw new ResPruneError('E_DTYPE', `${file}: tensor "${stored}" is ${entry.dtype}; supported: F32, F16, BF16.`, { details: { file, tensor: stored } });
    }
    totalBytes += entry.byteLength;
    const list = plan.get(file) ?? [];
    list.push({ stored, file, bytes: entry.byteLength });
    plan.set(file, list);
  }
  const tensors = new Map<string, tf.Tensor>();
  const transposed = new Set<string>();
  const byStored = new Map<string, string>();
  for (const canonical of spec.keys()) if (!aliases.has(canonical)) byStored.set(storedName(canonical, files.layout), canonical);
  let loadedBytes = 0;
  let reader: SafetensorsReader | undefined;
  try {
    for (const [file, list] of plan) {
      reader = openSafetensors(file);
      for (const item of list) {
        if (options.signal?.aborted === true) {
          throw new ResPruneError('E_ABORTED', `${files.dir}: loading weights was cancelled.`, { cause: options.signal.reason });
        }
        const canonical = byStored.get(item.stored)!;
        const data = reader.readFloat32(item.stored, { requireFinite: options.checkFinite === true });
        const shape = spec.get(canonical)!;
        let t = tf.tensor(data, [...shape], 'float32');
        if (shape.length === 2 && options.transpose?.(canonical) === true) {
          // One tensor at a time: the original is freed before the next one is read.
          const tt = tf.transpose(t);
          t.dispose();
          t = tt;
          transposed.add(canonical);
        }
        // kept: weights outlive any tidy/scope the caller loads them in; the owner disposes them.
        tensors.set(canonical, tf.keep(t));
        loadedBytes += item.bytes;
        options.onProgress?.({ loadedBytes, totalBytes, file, tensor: canonical });
      }
      reader.close();
      reader = undefined;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (e) {
    reader?.close();
    for (const t of tensors.values()) t.dispose();
    if (isResPruneError(e)) throw e;
    throw new ResPruneError('E_CHECKPOINT', `${files.dir}: loading weights failed: ${(e as Error).message}`, { cause: e, details: { file: files.dir } });
  }
  for (const [alias, target] of aliases) tensors.set(alias, tensors.get(target)!);
  let bytes = 0;
  for (const [name, t] of tensors) if (!aliases.has(name)) bytes += t.size * 4;
  return { tensors, layout: files.layout, bytes, transposed };
}
