/**
 * Photos in, pixels out, kept tokens drawn on top, in Node and in browsers, with no TensorFlow.js:
 *
 * - {@link decodeImage}: JPEG/PNG/WebP → 8-bit RGB ({@link RgbImage}). Node decodes with sharp
 *   (`node` export condition); browsers with `createImageBitmap` and a canvas (`browser` condition).
 * - {@link overlayPixels}, {@link drawOverlay} and {@link toRgba}: which tokens were kept, drawn in
 *   memory, onto a canvas, or as `ImageData` pixels; {@link renderOverlay} encodes it as PNG.
 * - {@link asciiGrid}: the same as text, for a terminal.
 *
 * The MobileNetV2 feature extractor that turns an {@link RgbImage} into visual tokens is in
 * `@resprune/mobilenet-features`, so decoding and drawing do not pull in TensorFlow.js or nsfwjs.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { asciiGrid, decodeImage, renderOverlay } from '@resprune/image-features';
 * const image = await decodeImage('dog.jpg'); // { width: 768, height: 576, data: Uint8Array }
 * const kept = [0, 5, 30, 575]; // token ids of a 24×24 grid, e.g. a selector's `kept`
 * console.log(asciiGrid(kept, { rows: 24, cols: 24 }));
 * await writeFile('dog-kept.png', await renderOverlay(image, kept, { rows: 24, cols: 24 }));
 * ```
 * @packageDocumentation
 */

export * from './shared.js';
export { decodeImage, readImageHeader, renderOverlay, type ImageHeader } from './node.js';
