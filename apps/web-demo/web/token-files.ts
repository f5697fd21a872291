/**
 * Reading a visitor's own LVLM tokens: `.npy` files of visual tokens `[N, d]` (or `[1, N, d]`, as
 * PyTorch dumps a batch of one) and optional text vectors `[M, d]`, with a grid shape for display.
 * Every problem becomes a ResPruneError with a code and a message that says what to do.
 */
import { ResPruneError, isResPruneError } from '@resprune/errors';
import { readNpy, toFloat32 } from '@resprune/npy';

/** A float32 matrix read from a file. */
export interface TokenMatrix {
  readonly name: string;
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** The dtype stored in the file (`f4`, `f2`, …), for display. */
  readonly dtype: string;
}

const FLOAT_DTYPES = new Set(['f2', 'f4', 'f8']);
/** The `\x93NUMPY` magic that starts every .npy file. */
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Whether the bytes start like a .npy file. */
export function looksLikeNpy(bytes: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Reads a `.npy` file as a float32 matrix, checking rank, dtype, emptiness and finiteness.
 *
 * @param name - file name, for messages
 * @param bytes - the file contents
 * @param what - `'visual tokens'` or `'text vectors'`, for messages
 * @returns the matrix, `[rows, cols]`
 * @throws {@link ResPruneError} `E_NPY_FORMAT` (not a .npy file), `E_DTYPE` (not float),
 *   `E_SHAPE_MISMATCH` (not `[N, d]`), `E_EMPTY_INPUT`, `E_NON_FINITE` (NaN or ±Infinity)
 */
export function readTokenMatrix(name: string, bytes: Uint8Array, what: 'visual tokens' | 'text vectors'): TokenMatrix {
  if (bytes.length === 0) throw new ResPruneError('E_EMPTY_INPUT', `${name}: the file is empty; expected a .npy file of ${what}`);
  if (!looksLikeNpy(bytes)) {
    throw new ResPruneError(
      'E_NPY_FORMAT',
      `${name} is not a NumPy .npy file (it does not start with \\x93NUMPY). Save ${what} with numpy.save('${what === 'text vectors' ? 'text' : 'visual'}.npy', array).`,
    );
  }
  let array;
  try {
    array = readNpy(bytes);
  } catch (error) {
    if (isResPruneError(error)) throw new ResPruneError(error.code, `${name}: ${error.message}`, { cause: error });
    throw error;
  }
  if (!FLOAT_DTYPES.has(array.dtype)) {
    throw new ResPruneError('E_DTYPE', `${name}: ${what} must be float16, float32 or float64; this file holds ${array.dtype} (save with array.astype('float32'))`);
  }
  let shape = array.shape;
  if (shape.length === 3 && shape[0] === 1) shape = shape.slice(1); // a batch of one
  if (shape.length !== 2) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${name}: ${what} must be a matrix [${what === 'text vectors' ? 'M' : 'N'}, d]${what === 'visual tokens' ? ' (or [1, N, d])' : ''}; this file has shape [${array.shape.join(', ')}]`,
    );
  }
  const [rows, cols] = shape as [number, number];
  if (rows === 0 || cols === 0) throw new ResPruneError('E_EMPTY_INPUT', `${name}: ${what} [${rows}, ${cols}] has no values`);
  const data = toFloat32(array);
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const value = array.dtype === 'f8' ? (array.data as Float64Array)[k] : data[k];
      const why = Number.isFinite(value) ? ' (too large for float32)' : '';
      throw new ResPruneError(
        'E_NON_FINITE',
        `${name}: ${what} row ${Math.floor(k / cols)}, column ${k % cols} is ${String(value)}${why}; every value must be a finite number`,
      );
    }
  }
  return { name, data, rows, cols, dtype: array.dtype };
}

/**
 * A grid shape for `n` tokens: the exact square when there is one, otherwise the factor pair
 * `rows × cols = n` whose aspect ratio is closest to the photo's (width / height).
 */
export function guessGrid(n: number, aspect = 1): { rows: number; cols: number } {
  const root = Math.round(Math.sqrt(n));
  if (root * root === n) return { rows: root, cols: root };
  let best = { rows: 1, cols: n };
  let bestCost = Infinity;
  for (let rows = 1; rows <= n; rows++) {
    if (n % rows !== 0) continue;
    const cols = n / rows;
    const cost = Math.abs(Math.log(cols / rows / aspect));
    if (cost < bestCost) {
      best = { rows, cols };
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Checks that a grid covers exactly `n` tokens.
 *
 * @throws {@link ResPruneError} `E_SHAPE_MISMATCH` when `rows × cols ≠ n` or a side is not a positive integer
 */
export function checkGrid(rows: number, cols: number, n: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `grid rows and columns must be positive integers, got ${rows} × ${cols}`);
  }
  if (rows * cols !== n) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `the grid ${rows} × ${cols} = ${rows * cols} cells does not match the ${n} visual tokens; choose rows × columns = ${n} (e.g. ${guessGrid(n).rows} × ${guessGrid(n).cols})`,
    );
  }
}

/**
 * Checks that text vectors live in the same space as the visual tokens.
 *
 * @throws {@link ResPruneError} `E_SHAPE_MISMATCH` when the feature sizes differ
 */
export function checkText(visual: TokenMatrix, text: TokenMatrix): void {
  if (text.cols !== visual.cols) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${text.name}: text vectors have d = ${text.cols} but the visual tokens (${visual.name}) have d = ${visual.cols}; both must be in the same embedding space`,
    );
  }
}
