/**
 * Qwen2.5-VL token layout (smart resize, 2x2 merge) and M-RoPE positions for ResPrune.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/backbone-qwen-vl';
