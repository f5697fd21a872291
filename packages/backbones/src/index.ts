/**
 * Registry and adapter contract for LVLM backbones, with a conformance suite at /testing.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/backbones';
