/**
 * Real visual tokens from photos: image decoding, MobileNetV2 (nsfwjs) 24x24 feature grids, kept-token overlays.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/image-features';
