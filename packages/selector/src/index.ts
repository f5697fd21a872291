/**
 * ResPrune visual-token selection exactly as specified, plus peer methods behind one interface.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/selector';
