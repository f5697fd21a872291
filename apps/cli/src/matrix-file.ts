import { isResPruneError, ResPruneError } from '@resprune/errors';
import { readNpyFile, toFloat32 } from '@resprune/npy';

/** A row-major float32 matrix read from a .npy file. */
export interface MatrixFile {
  readonly data: Float32Array;
  readonly shape: readonly [number, number];
}

const FLOAT_DTYPES = new Set(['f2', 'f4', 'f8']);

/**
 * Reads a `.npy` file of float16, float32 or float64 values, C order, shape [rows, cols], into
 * float32. Anything else is a typed error naming the file. Only a regular file of at most `maxBytes`
 * is read (`--max-npy-bytes`): a FIFO or `/dev/zero` is refused at once.
 */
export async function readMatrixNpy(path: string, what: string, maxBytes: number, signal?: AbortSignal): Promise<MatrixFile> {
  let array;
  try {
    array = await readNpyFile(path, { maxBytes, ...(signal === undefined ? {} : { signal }) });
  } catch (e) {
    if (isResPruneError(e) && e.code === 'E_LIMIT') {
      throw new ResPruneError('E_LIMIT', `${what} ${path}: ${e.details?.['size']} bytes, above the limit of ${maxBytes}; pass --max-npy-bytes N to raise it`, { cause: e, details: e.details ?? {} });
    }
    throw e;
  }
  const dtype = array.dtype.replace(/^[<>|=]/, '');
  if (!FLOAT_DTYPES.has(dtype)) {
    throw new ResPruneError('E_DTYPE', `${what} ${path}: expected float16, float32 or float64, got dtype '${array.dtype}'`);
  }
  if (array.shape.length !== 2) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${what} ${path}: expected a 2-D array [rows, dims], got shape [${array.shape.join(', ')}]`,
    );
  }
  const [rows, cols] = array.shape as [number, number];
  return { data: toFloat32(array), shape: [rows, cols] };
}
