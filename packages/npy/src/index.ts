/**
 * Reads and writes NumPy .npy files (float16/32/64, int, C order) as typed arrays, with clear errors.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/npy';
