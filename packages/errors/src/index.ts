/**
 * The one error class of ResPrune.js. Every package throws {@link ResPruneError} (or a subclass)
 * with a stable {@link ErrorCode}; callers branch on `code` or `instanceof`, never on the message.
 *
 * @example
 * ```ts
 * import { ResPruneError, isResPruneError } from '@resprune/errors';
 * try {
 *   throw new ResPruneError('E_BUDGET', 'select: keep must be a positive integer, got 0');
 * } catch (e) {
 *   if (isResPruneError(e) && e.code === 'E_BUDGET') console.error(e.message);
 * }
 * ```
 * @packageDocumentation
 */

/**
 * Every error code used in the project. Adding a code is a minor change; renaming one is major.
 *
 * | code | meaning |
 * |---|---|
 * | `E_SHAPE_MISMATCH` | an array or tensor has the wrong rank or size |
 * | `E_DTYPE` | a tensor or file has an unsupported element type |
 * | `E_NON_FINITE` | NaN or ±Infinity in the input |
 * | `E_EMPTY_INPUT` | zero tokens, zero features, an empty prompt where one is required |
 * | `E_BUDGET` | a budget (keep, ratio, energy, min/max) out of range |
 * | `E_INVALID_OPTION` | an option with an unknown or out-of-range value |
 * | `E_UNKNOWN_METHOD` | a selection method that is not registered |
 * | `E_NO_BACKEND` | no TensorFlow.js backend could be initialised |
 * | `E_BACKEND` | a named backend is unknown or failed |
 * | `E_BACKBONE_UNKNOWN` | no adapter for that backbone id or model_type |
 * | `E_BACKBONE_DUPLICATE` | an adapter id registered twice without `override` |
 * | `E_BACKBONE_CONFIG` | a backbone config.json is missing fields or is inconsistent |
 * | `E_IMAGE_SIZE` | an image size of zero, negative, or not an integer |
 * | `E_FILE_NOT_FOUND` | a file or directory does not exist, or is not a regular file (a directory, FIFO or device given as a file) |
 * | `E_FILE_CORRUPT` | a file is truncated or malformed |
 * | `E_NPY_FORMAT` | a .npy file is malformed or has an unsupported layout |
 * | `E_IMAGE_DECODE` | an image file cannot be decoded |
 * | `E_TOKENIZER` | a tokenizer is missing, malformed or failed |
 * | `E_SAFETENSORS` | a safetensors file is malformed (header, offsets, dtype) |
 * | `E_CHECKPOINT` | a checkpoint directory is incomplete or inconsistent |
 * | `E_TENSOR_MISSING` | a named weight is absent from a checkpoint |
 * | `E_TENSOR_SHAPE` | a named weight has the wrong shape |
 * | `E_MODEL` | a model (network) failed to load or run |
 * | `E_WASM_UNAVAILABLE` | a WebAssembly kernel cannot be instantiated here |
 * | `E_LIMIT` | an input exceeds a documented resource limit (file bytes, image pixels, prompt tokens, repeats); the message names the limit and how to raise it |
 * | `E_WRITE` | an output file (or stdout) could not be written: missing folder, a folder or device given as the file, no permission, disk full |
 * | `E_ABORTED` | the work was cancelled through an `AbortSignal` (or Ctrl-C in the CLI) |
 * | `E_INTERNAL` | a bug: an invariant of the library itself failed |
 */
export const ERROR_CODES = [
  'E_SHAPE_MISMATCH',
  'E_DTYPE',
  'E_NON_FINITE',
  'E_EMPTY_INPUT',
  'E_BUDGET',
  'E_INVALID_OPTION',
  'E_UNKNOWN_METHOD',
  'E_NO_BACKEND',
  'E_BACKEND',
  'E_BACKBONE_UNKNOWN',
  'E_BACKBONE_DUPLICATE',
  'E_BACKBONE_CONFIG',
  'E_IMAGE_SIZE',
  'E_FILE_NOT_FOUND',
  'E_FILE_CORRUPT',
  'E_NPY_FORMAT',
  'E_IMAGE_DECODE',
  'E_TOKENIZER',
  'E_SAFETENSORS',
  'E_CHECKPOINT',
  'E_TENSOR_MISSING',
  'E_TENSOR_SHAPE',
  'E_MODEL',
  'E_WASM_UNAVAILABLE',
  'E_LIMIT',
  'E_WRITE',
  'E_ABORTED',
  'E_INTERNAL',
] as const;

/** A stable machine-readable error code; see {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra context attached to an error. */
export interface ResPruneErrorOptions {
  /** The underlying error, kept as the ES2022 `cause`. */
  readonly cause?: unknown;
  /** Structured details (file name, tensor name, expected and received shapes, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Base class of every error thrown by ResPrune.js.
 *
 * @example
 * ```ts
 * throw new ResPruneError('E_SHAPE_MISMATCH', 'select: visual must be [N, d], got rank 3');
 * ```
 */
export class ResPruneError extends Error {
  override readonly name: string = 'ResPruneError';
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Structured details, when the thrower gave any. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  /**
   * @param code - the stable error code
   * @param message - what failed, what was expected and what was received, and what to do
   * @param options - `cause` and structured `details`
   */
  constructor(code: ErrorCode, message: string, options: ResPruneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** `CODE: message`, as printed by the CLI. */
  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

/**
 * Type guard that works across duplicate installed copies of this package (checks the shape, not
 * the prototype).
 *
 * @example
 * ```ts
 * if (isResPruneError(err)) process.exitCode = 2;
 * ```
 */
export function isResPruneError(value: unknown): value is ResPruneError {
  return (
    value instanceof ResPruneError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (ERROR_CODES as readonly string[]).includes((value as unknown as { code: string }).code))
  );
}

/**
 * Throws a {@link ResPruneError} when `condition` is false. The message is built lazily, so hot
 * paths pay nothing when the check passes.
 *
 * @throws {@link ResPruneError} with `code` when `condition` is false
 * @example
 * ```ts
 * assert(k > 0, 'E_BUDGET', () => `keep must be positive, got ${k}`);
 * ```
 */
export function assert(condition: unknown, code: ErrorCode, message: () => string): asserts condition {
  if (!condition) throw new ResPruneError(code, message());
}

/**
 * The part of the `@tensorflow/tfjs-core` namespace that {@link requireBackend} reads: pass your
 * `import * as tf from '@tensorflow/tfjs-core'`. Declared structurally, so this package does not
 * import TensorFlow.js (and works with whichever copy the caller uses).
 */
export interface TfjsEngineSource {
  /** tfjs-core's `engine()`: reading its `backend` initialises the best registered backend, or throws. */
  engine(): { readonly backend: unknown };
  /** tfjs-core's `getBackend()`: the active backend's name. */
  getBackend(): string;
}

/** How to get a backend, in every `E_NO_BACKEND` message of {@link requireBackend}. */
const BACKEND_FIX =
  "import a TensorFlow.js backend before calling it, e.g. `import '@tensorflow/tfjs-backend-cpu'` (or -wasm with " +
  "`await tf.setBackend('wasm')`, or @tensorflow/tfjs-node), or let `await useBestBackend()` from @resprune/tfjs-backends pick one";

/**
 * Checks that TensorFlow.js has a usable backend before an operation touches a tensor, and turns
 * tfjs's raw errors ("No backend found in registry", "has not yet been initialized") into a
 * {@link ResPruneError} that says how to fix it. Cheap once a backend is active (one property read).
 *
 * @param tf - the caller's `@tensorflow/tfjs-core` namespace
 * @param op - the public operation, for the message
 * @returns the active backend's name
 * @throws {@link ResPruneError} `E_NO_BACKEND` when no backend is registered, the registered ones
 *   all fail to initialise, or the best one initialises asynchronously and has not been awaited
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { requireBackend } from '@resprune/errors';
 * requireBackend(tf, 'myOp'); // 'cpu' after `import '@tensorflow/tfjs-backend-cpu'`
 * ```
 */
export function requireBackend(tf: TfjsEngineSource, op: string): string {
  try {
    void tf.engine().backend;
  } catch (cause) {
    const raw = cause instanceof Error ? cause.message : String(cause);
    if (/not yet been initialized/.test(raw)) {
      throw new ResPruneError(
        'E_NO_BACKEND',
        `${op}: the TensorFlow.js backend is still initialising; \`await tf.ready()\` (or \`await tf.setBackend(name)\`) before calling it`,
        { cause },
      );
    }
    const why = /No backend found in registry/.test(raw) ? 'no TensorFlow.js backend is registered' : `no TensorFlow.js backend could be initialised (${raw})`;
    throw new ResPruneError('E_NO_BACKEND', `${op}: ${why}; ${BACKEND_FIX}`, { cause });
  }
  return tf.getBackend();
}
