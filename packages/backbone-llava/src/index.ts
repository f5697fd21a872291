/**
 * LLaVA-1.5 and LLaVA-NeXT token layouts, budgets and positions for ResPrune.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/backbone-llava';
