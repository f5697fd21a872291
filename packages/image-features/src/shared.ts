/** What both platform entries export unchanged: the image type, its checks and the pure-JS overlay. */
export { assertRgbImage, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_PIXELS, type BlobLike, type DecodeOptions, type ImageSource, type RgbImage } from './image.js';
export {
  asciiGrid,
  drawOverlay,
  overlayPixels,
  toRgba,
  type AsciiGridOptions,
  type Canvas2DLike,
  type OverlayOptions,
  type OverlayStyle,
  type RgbaImage,
  type TokenGrid,
} from './overlay.js';
