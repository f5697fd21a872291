/**
 * Picks the best installed TensorFlow.js backend at run time: tfjs-node-gpu, tfjs-node, wasm, cpu.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/tfjs-backends';
