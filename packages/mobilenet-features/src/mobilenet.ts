import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { ResPruneError, requireBackend } from '@resprune/errors';
import { assertRgbImage, type RgbImage } from '@resprune/image-features';

/**
 * The five classes of the nsfwjs classifier head, in output order: `Drawing` (safe drawings and
 * illustrations), `Hentai` (explicit drawings), `Neutral` (safe photos), `Porn` (explicit photos),
 * `Sexy` (suggestive, not explicit).
 */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

/** One of {@link NSFW_CLASSES}. */
export type NsfwClass = (typeof NSFW_CLASSES)[number];

/** An image for the network: a decoded {@link RgbImage}, or a `[height, width, 3]` tensor of 0–255 values. */
export type ImageInput = RgbImage | tf.Tensor3D;

/**
 * Progress of {@link loadMobileNetV2}: the same `loadedBytes` / `totalBytes` fields as the
 * pipeline's checkpoint loader (`@resprune/pipeline`'s `LoadProgress`), so one progress bar serves
 * both (`loadedBytes / totalBytes`).
 */
export interface LoadProgress {
  /** Bytes of network weights loaded so far (as stored: uint8-quantised). */
  readonly loadedBytes: number;
  /** Bytes of network weights to load in all (0 until the bundle has been read). */
  readonly totalBytes: number;
  /** Where the weights come from: `'nsfwjs/models/mobilenet_v2'`. */
  readonly file: string;
  /** What is happening, for a status line; the last report says `'ready'`. */
  readonly message: string;
}

/** Options of {@link loadMobileNetV2}. */
export interface LoadMobileNetV2Options {
  /**
   * Called as loading advances. `loadedBytes` never decreases; the last call has
   * `loadedBytes === totalBytes` and `message: 'ready'`.
   */
  readonly onProgress?: (progress: LoadProgress) => void;
}

/** Options of {@link FeatureExtractor.extract}. */
export interface ExtractOptions {
  /**
   * Side of the square the image is resized to, in pixels: a positive multiple of 32 (the network's
   * stride), at most 2048. The grid is `size / 32` on each side. Default 768 (a 24×24 grid, 576
   * tokens, as LLaVA-1.5).
   */
  readonly size?: number;
}

/** Visual tokens of one image: the feature map of the network's last convolutional block. */
export interface ImageFeatures {
  /**
   * `[rows * cols, d]` row-major: token `r * cols + c` is grid cell (row r, column c), and its `d`
   * features are `tokens[(r * cols + c) * d + k]`. Values are ReLU6 outputs, in [0, 6].
   */
  readonly tokens: Float32Array;
  /** Grid rows (`size / 32`). */
  readonly rows: number;
  /** Grid columns (`size / 32`). */
  readonly cols: number;
  /** Features per token (1280). */
  readonly d: number;
  /** The square input side the image was resized to. */
  readonly size: number;
}

/** One dense layer of the classifier head: `y = activation(x · kernel + bias)`. */
export interface DenseLayerWeights {
  /** Keras layer name (`dense_1`, `dense_2`, `dense_3`). */
  readonly name: string;
  /** `[inputs, outputs]` row-major. */
  readonly kernel: Float32Array;
  /** `[outputs]`. */
  readonly bias: Float32Array;
  /** Number of inputs. */
  readonly inputs: number;
  /** Number of outputs. */
  readonly outputs: number;
  /** Applied after the affine map. */
  readonly activation: 'relu' | 'softmax';
}

/**
 * The network's own classifier head, which in the original model follows a global average pool of
 * the token grid: dense 1280→256 ReLU, dense 256→128 ReLU, dense 128→5 softmax (dropout is off at
 * inference).
 */
export interface ClassifierHead {
  /** The three dense layers, input side first. */
  readonly layers: readonly DenseLayerWeights[];
  /** Class names of the outputs, {@link NSFW_CLASSES}. */
  readonly classes: readonly NsfwClass[];
}

/** A loaded MobileNetV2 feature network with its classifier head. Call `dispose()` when done. */
export interface FeatureExtractor {
  /** Model id, `'nsfwjs-mobilenet-v2'`. */
  readonly name: string;
  /** Keras layer whose output forms the tokens: `'out_relu'` (Conv_1 1×1 conv + BN + ReLU6). */
  readonly layer: string;
  /** Features per token: 1280. */
  readonly d: number;
  /** Pixels of input per grid cell: 32. */
  readonly stride: number;
  /** The input size the original network was trained at (224); {@link FeatureExtractor.predict} uses it. */
  readonly nativeSize: number;
  /** Classifier head weights. */
  readonly head: ClassifierHead;
  /**
   * Runs the network up to {@link FeatureExtractor.layer} and reads the tokens back.
   *
   * Preprocessing follows nsfwjs: values divided by 255 (to [0, 1]), then a bilinear resize
   * (`alignCorners: true`) to `size × size`, ignoring the aspect ratio.
   *
   * @param image - the image
   * @param options - the input size
   * @returns `[rows * cols, d]` tokens, row-major over the grid
   * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for a bad size; `E_SHAPE_MISMATCH`
   *   for a malformed image; `E_MODEL` after `dispose()`; `E_NO_BACKEND` without a TensorFlow.js backend
   */
  extract(image: ImageInput, options?: ExtractOptions): Promise<ImageFeatures>;
  /**
   * As {@link FeatureExtractor.extract}, but returns the tokens as a tensor that the **caller owns**
   * (dispose it). Intermediates are freed.
   *
   * @returns `[rows * cols, d]` float32
   * @throws {@link @resprune/errors!ResPruneError} as {@link FeatureExtractor.extract}
   */
  extractTensor(image: ImageInput, options?: ExtractOptions): tf.Tensor2D;
  /**
   * Runs the classifier head on a pooled feature vector (e.g. the mean of a subset of tokens, see
   * {@link averagePoolTokens}). Pure JavaScript in float64; makes no tensors.
   *
   * @param pooled - `[d]`
   * @returns class probabilities `[5]` in {@link NSFW_CLASSES} order, summing to 1
   * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when the length is not `d`;
   *   `E_NON_FINITE` for NaN or ±Infinity
   */
  classify(pooled: ArrayLike<number>): Float32Array;
  /**
   * The unmodified nsfwjs network end to end (its own 224×224 input, 7×7 average pool, flatten and
   * dense head), as nsfwjs itself runs it. This is the reference that `extract` + pool + `classify`
   * reproduces at `size: 224`. The full network is built on first call.
   *
   * @param image - the image
   * @returns class probabilities `[5]` in {@link NSFW_CLASSES} order
   * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` for a malformed image;
   *   `E_MODEL` after `dispose()` or when the network fails to build; `E_NO_BACKEND` without a
   *   TensorFlow.js backend
   */
  predict(image: ImageInput): Promise<Float32Array>;
  /** Frees every tensor and variable of the networks. Later calls throw `E_MODEL`. */
  dispose(): void;
}

const LAYER = 'out_relu';
const D = 1280;
const STRIDE = 32;
const NATIVE_SIZE = 224;
const MAX_SIZE = 2048;
const DEFAULT_SIZE = 768;
const HEAD: readonly { name: string; activation: 'relu' | 'softmax' }[] = [
  { name: 'dense_1', activation: 'relu' },
  { name: 'dense_2', activation: 'relu' },
  { name: 'dense_3', activation: 'softmax' },
];

interface KerasLayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}
interface KerasTopology {
  model_config: { class_name: string; config: { name: string; layers: KerasLayerJson[]; input_layers: unknown; output_layers: unknown } };
  [key: string]: unknown;
}
interface ModelJson {
  modelTopology: KerasTopology;
  weightsManifest: tf.io.WeightsManifestConfig;
}

function modelError(message: string, cause?: unknown): ResPruneError {
  return new ResPruneError('E_MODEL', `loadMobileNetV2: ${message}`, cause === undefined ? {} : { cause });
}

function base64ToBytes(base64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B !== undefined) return new Uint8Array(B.from(base64, 'base64'));
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization?.dtype;
  if (q === 'uint8') return n;
  if (q === 'uint16' || q === 'float16') return 2 * n;
  if (spec.dtype === 'float32' || spec.dtype === 'int32') return 4 * n;
  if (spec.dtype === 'bool') return n;
  throw modelError(`weight '${spec.name}' has an unsupported dtype ${spec.dtype}`);
}

/** Splits the concatenated weight bytes into the specs whose layer is in `keep` and the rest. */
function splitWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: Uint8Array,
  keep: (layer: string) => boolean,
): [{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }, { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }] {
  const parts = [
    { specs: [] as tf.io.WeightsManifestEntry[], chunks: [] as Uint8Array[] },
    { specs: [] as tf.io.WeightsManifestEntry[], chunks: [] as Uint8Array[] },
  ] as const;
  let offset = 0;
  for (const spec of specs) {
    const size = specBytes(spec);
    if (offset + size > data.length) throw modelError(`the weight data ends inside '${spec.name}' (the bundle is truncated)`);
    const part = parts[keep(spec.name.split('/')[0] ?? '') ? 0 : 1];
    part.specs.push(spec);
    part.chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== data.length) throw modelError(`the weight data has ${data.length - offset} bytes more than the manifest describes`);
  const join = (chunks: Uint8Array[]): ArrayBuffer => {
    const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out.buffer;
  };
  return [
    { specs: parts[0].specs, data: join(parts[0].chunks) },
    { specs: parts[1].specs, data: join(parts[1].chunks) },
  ];
}

/** The topology cut after `out_relu`, with a free spatial input size. */
function featureTopology(full: KerasTopology): KerasTopology {
  const layers = full.model_config.config.layers;
  const cut = layers.findIndex((l) => l.name === LAYER);
  if (cut < 0) throw modelError(`the topology has no layer '${LAYER}'`);
  const first = layers[0];
  if (first === undefined || first.class_name !== 'InputLayer') throw modelError('the topology does not start with an InputLayer');
  const input: KerasLayerJson = { ...first, config: { ...first.config, batch_input_shape: [null, null, null, 3] } };
  const { training_config: _unused, ...rest } = full as KerasTopology & { training_config?: unknown };
  void _unused;
  return {
    ...rest,
    model_config: {
      ...full.model_config,
      config: {
        ...full.model_config.config,
        layers: [input, ...layers.slice(1, cut + 1)],
        output_layers: [[LAYER, 0, 0]],
      },
    },
  };
}

async function loadModelJson(): Promise<{ json: ModelJson; base64: string }> {
  let mod: typeof import('nsfwjs/models/mobilenet_v2');
  try {
    mod = await import('nsfwjs/models/mobilenet_v2');
  } catch (cause) {
    throw modelError("the 'nsfwjs' package (its MobileNetV2 model files) could not be imported", cause);
  }
  const def = mod.MobileNetV2Model;
  let json: unknown;
  let base64: unknown;
  try {
    json = ((await def.modelJson()) as { default: unknown }).default;
    const bundle = def.weightBundles[0];
    if (bundle === undefined || def.weightBundles.length !== 1) throw new Error(`expected 1 weight bundle, found ${def.weightBundles.length}`);
    base64 = ((await bundle()) as { default: unknown }).default;
  } catch (cause) {
    throw modelError('the nsfwjs MobileNetV2 model files could not be read', cause);
  }
  const j = json as Partial<ModelJson> | null;
  if (j?.modelTopology?.model_config?.config?.layers === undefined || !Array.isArray(j.weightsManifest)) {
    throw modelError('the nsfwjs model.min.js bundle is not a Keras layers model with a weights manifest');
  }
  if (typeof base64 !== 'string') throw modelError('the nsfwjs weight bundle is not a base64 string');
  return { json: j as ModelJson, base64 };
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < STRIDE || size > MAX_SIZE || size % STRIDE !== 0) {
    throw new ResPruneError(
      'E_IMAGE_SIZE',
      `extract: size must be a multiple of ${STRIDE} between ${STRIDE} and ${MAX_SIZE} (e.g. 224, 336, 768), got ${size}`,
    );
  }
  return size;
}

/** `[1, size, size, 3]` in [0, 1], as nsfwjs prepares its input. Call inside tf.tidy. */
function preprocess(op: string, image: ImageInput, size: number): tf.Tensor4D {
  let pixels: tf.Tensor3D;
  if (image instanceof tf.Tensor) {
    if (image.rank !== 3 || image.shape[2] !== 3) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: an image tensor must be [height, width, 3], got [${image.shape.join(', ')}]`);
    }
    if (image.dtype !== 'int32' && image.dtype !== 'float32') {
      throw new ResPruneError('E_DTYPE', `${op}: an image tensor must be int32 or float32 with values 0-255, got ${image.dtype}`);
    }
    if (image.shape[0] === 0 || image.shape[1] === 0) {
      throw new ResPruneError('E_IMAGE_SIZE', `${op}: the image is empty (${image.shape[1]}×${image.shape[0]})`);
    }
    pixels = image;
  } else {
    assertRgbImage(op, image);
    pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  }
  const normalized = tf.div(tf.cast(pixels, 'float32'), 255);
  const resized =
    pixels.shape[0] === size && pixels.shape[1] === size
      ? normalized
      : tf.image.resizeBilinear(normalized as tf.Tensor3D, [size, size], true);
  return tf.reshape(resized, [1, size, size, 3]);
}

function dense(x: Float64Array, layer: DenseLayerWeights): Float64Array {
  const { kernel, bias, inputs, outputs } = layer;
  const y = new Float64Array(outputs);
  for (let o = 0; o < outputs; o++) y[o] = bias[o]!;
  for (let i = 0; i < inputs; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * outputs;
    for (let o = 0; o < outputs; o++) y[o]! += xi * kernel[row + o]!;
  }
  if (layer.activation === 'relu') {
    for (let o = 0; o < outputs; o++) if (y[o]! < 0) y[o] = 0;
  } else {
    let max = -Infinity;
    for (const v of y) max = Math.max(max, v);
    let sum = 0;
    for (let o = 0; o < outputs; o++) sum += y[o] = Math.exp(y[o]! - max);
    for (let o = 0; o < outputs; o++) y[o]! /= sum;
  }
  return y;
}

/**
 * Loads the MobileNetV2 of nsfwjs (MIT licence; weights shipped inside the npm package, nothing is
 * downloaded) with TensorFlow.js layers, cut after its last convolutional block (`out_relu`) so it
 * takes any square input that is a multiple of 32 and yields a `size/32 × size/32` grid of
 * 1280-dimensional tokens. The classifier head is kept as plain weights ({@link FeatureExtractor.classify}).
 * Uses the active tfjs backend (cpu, wasm, tensorflow, webgl).
 *
 * @param options - progress callback ({@link LoadProgress})
 * @returns the extractor; call `dispose()` when done
 * @throws {@link @resprune/errors!ResPruneError} `E_NO_BACKEND` when no TensorFlow.js backend is
 *   registered (import one first, e.g. `@tensorflow/tfjs-backend-cpu`); `E_MODEL` when the nsfwjs model files are missing,
 *   malformed or fail to load
 * @example
 * ```ts
 * import { decodeImage } from '@resprune/image-features';
 * const net = await loadMobileNetV2({ onProgress: (p) => console.log(`${p.loadedBytes}/${p.totalBytes} ${p.message}`) });
 * const { tokens, rows, cols, d } = await net.extract(await decodeImage('dog.jpg'), { size: 768 });
 * // tokens: Float32Array [576 * 1280], rows = cols = 24, d = 1280
 * const probs = net.classify(averagePoolTokens(tokens, d));
 * net.dispose();
 * ```
 */
export async function loadMobileNetV2(options: LoadMobileNetV2Options = {}): Promise<FeatureExtractor> {
  requireBackend(tf, 'loadMobileNetV2');
  const file = 'nsfwjs/models/mobilenet_v2';
  let totalBytes = 0;
  const report = (loadedBytes: number, message: string): void => options.onProgress?.({ loadedBytes, totalBytes, file, message });
  report(0, 'reading the nsfwjs MobileNetV2 bundle');
  const { json, base64 } = await loadModelJson();
  const bytes = base64ToBytes(base64);
  totalBytes = bytes.length;
  report(0, `decoded ${(totalBytes / 1e6).toFixed(1)} MB of weights`);
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const topology = featureTopology(json.modelTopology);
  const featureLayers = new Set(topology.model_config.config.layers.map((l) => l.name));
  const [featureWeights, headWeights] = splitWeights(specs, bytes, (layer) => featureLayers.has(layer));

  const head = readHead(headWeights.specs, headWeights.data);
  report(headWeights.data.byteLength, 'read the classifier head; building the feature network (input → ' + LAYER + ')');

  let features: LayersModel;
  try {
    features = await loadLayersModel(
      tf.io.fromMemory({ modelTopology: topology, weightSpecs: featureWeights.specs, weightData: featureWeights.data }),
    );
  } catch (cause) {
    throw modelError(`the feature network (input → ${LAYER}) failed to build`, cause);
  }
  report(totalBytes, 'ready');
  return createExtractor(features, head, json, bytes);
}

function readHead(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): ClassifierHead {
  const expected = HEAD.flatMap((l) => [`${l.name}/kernel`, `${l.name}/bias`]);
  const names = specs.map((s) => s.name);
  if (names.slice().sort().join() !== expected.slice().sort().join()) {
    throw modelError(`expected the head weights ${expected.join(', ')} after ${LAYER}, found ${names.join(', ') || 'none'}`);
  }
  const tensors = tf.io.decodeWeights(data, specs);
  try {
    let inputs = D;
    const layers = HEAD.map(({ name, activation }): DenseLayerWeights => {
      const kernel = tensors[`${name}/kernel`]!;
      const bias = tensors[`${name}/bias`]!;
      const [rows, outputs] = kernel.shape;
      if (kernel.rank !== 2 || rows !== inputs || outputs === undefined || bias.size !== outputs) {
        throw modelError(`head layer ${name} has kernel [${kernel.shape.join(', ')}] and bias [${bias.shape.join(', ')}]; expected [${inputs}, n] and [n]`);
      }
      const layer: DenseLayerWeights = {
        name,
        kernel: kernel.dataSync() as Float32Array,
        bias: bias.dataSync() as Float32Array,
        inputs,
        outputs,
        activation,
      };
      inputs = outputs;
      return layer;
    });
    if (inputs !== NSFW_CLASSES.length) throw modelError(`the head has ${inputs} outputs, expected ${NSFW_CLASSES.length}`);
    return { layers, classes: NSFW_CLASSES };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

function createExtractor(features: LayersModel, head: ClassifierHead, json: ModelJson, bytes: Uint8Array): FeatureExtractor {
  let disposed = false;
  let full: LayersModel | undefined; // set once the reference network has been built
  let fullLoading: Promise<LayersModel> | undefined;

  const alive = (op: string): void => {
    if (disposed) throw new ResPruneError('E_MODEL', `${op}: this MobileNetV2 extractor has been disposed; load a new one`);
  };

  const extractTensor = (image: ImageInput, options: ExtractOptions = {}): tf.Tensor2D => {
    alive('extractTensor');
    requireBackend(tf, 'extract');
    const size = checkSize(options.size ?? DEFAULT_SIZE);
    const grid = size / STRIDE;
    return tf.tidy(() => {
      const x = preprocess('extract', image, size);
      const y = features.predict(x) as tf.Tensor;
      if (y.shape.join() !== [1, grid, grid, D].join()) {
        throw new ResPruneError('E_INTERNAL', `extract: ${LAYER} gave [${y.shape.join(', ')}], expected [1, ${grid}, ${grid}, ${D}]`);
      }
      return tf.reshape(y, [grid * grid, D]);
    });
  };

  const loadFull = async (): Promise<LayersModel> => {
    fullLoading ??= loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: bytes.slice().buffer,
      }),
    ).then(
      (model) => {
        if (disposed) model.dispose(); // dispose() ran while it was loading
        else full = model;
        return model;
      },
      (cause: unknown) => {
        fullLoading = undefined;
        throw modelError('the full nsfwjs network failed to build', cause);
      },
    );
    return fullLoading;
  };

  return {
    name: 'nsfwjs-mobilenet-v2',
    layer: LAYER,
    d: D,
    stride: STRIDE,
    nativeSize: NATIVE_SIZE,
    head,
    extractTensor,
    async extract(image, options = {}) {
      const t = extractTensor(image, options);
      try {
        const tokens = (await t.data()) as Float32Array;
        const size = options.size ?? DEFAULT_SIZE;
        return { tokens, rows: size / STRIDE, cols: size / STRIDE, d: D, size };
      } finally {
        t.dispose();
      }
    },
    classify(pooled) {
      if (pooled === null || typeof pooled !== 'object' || typeof pooled.length !== 'number' || pooled.length !== D) {
        const got = pooled === null || typeof pooled !== 'object' ? String(pooled) : `length ${pooled.length}`;
        throw new ResPruneError('E_SHAPE_MISMATCH', `classify: expected a pooled feature vector of length ${D}, got ${got}`);
      }
      let x: Float64Array = new Float64Array(D);
      for (let i = 0; i < D; i++) {
        const v = pooled[i]!;
        if (!Number.isFinite(v)) throw new ResPruneError('E_NON_FINITE', `classify: pooled[${i}] is ${v}; features must be finite`);
        x[i] = v;
      }
      for (const layer of head.layers) x = dense(x, layer);
      return Float32Array.from(x);
    },
    async predict(image) {
      alive('predict');
      requireBackend(tf, 'predict');
      const model = await loadFull();
      alive('predict');
      const y = tf.tidy(() => model.predict(preprocess('predict', image, NATIVE_SIZE)) as tf.Tensor);
      try {
        return (await y.data()) as Float32Array;
      } finally {
        y.dispose();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      features.dispose();
      full?.dispose(); // a build still in flight disposes itself when it lands
      full = undefined;
    },
  };
}

/**
 * Average-pools tokens: the mean of the chosen rows of a `[n, d]` token matrix (all rows when
 * `indices` is omitted). Pooling a kept subset and passing the result to
 * {@link FeatureExtractor.classify} measures how much of the image's content the subset keeps.
 *
 * @param tokens - `[n, d]` row-major
 * @param d - features per token
 * @param indices - rows to average (duplicates count twice); default all
 * @returns `[d]` mean
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when `tokens.length` is not a
 *   multiple of `d` or an index is outside `[0, n)`; `E_EMPTY_INPUT` for no tokens or no indices
 * @example
 * ```ts
 * const pooled = averagePoolTokens(features.tokens, features.d, kept); // kept: number[] of token ids
 * const probs = net.classify(pooled);
 * ```
 */
export function averagePoolTokens(tokens: ArrayLike<number>, d: number, indices?: ArrayLike<number>): Float32Array {
  if (!Number.isInteger(d) || d <= 0) throw new ResPruneError('E_SHAPE_MISMATCH', `averagePoolTokens: d must be a positive integer, got ${d}`);
  if (tokens.length % d !== 0) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `averagePoolTokens: ${tokens.length} values do not split into rows of d = ${d}`);
  }
  const n = tokens.length / d;
  const rows = indices ?? Array.from({ length: n }, (_, i) => i);
  if (n === 0 || rows.length === 0) {
    throw new ResPruneError('E_EMPTY_INPUT', `averagePoolTokens: nothing to pool (${n} tokens, ${rows.length} indices)`);
  }
  const sum = new Float64Array(d);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= n) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `averagePoolTokens: index ${r} is outside [0, ${n})`);
    }
    const base = r * d;
    for (let j = 0; j < d; j++) sum[j]! += tokens[base + j]!;
  }
  const out = new Float32Array(d);
  for (let j = 0; j < d; j++) out[j] = sum[j]! / rows.length;
  return out;
}
