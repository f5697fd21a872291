/**
 * Hugging Face image processors in pure TypeScript, bit for bit: a Pillow-exact resampler
 * ({@link resizePil}: `PIL.Image.resize` with fixed-point bicubic and antialiasing), PIL's
 * `convert("RGB")` ({@link convertToRgb}), and the slow processors' `pixel_values` for
 * `CLIPImageProcessor` (LLaVA-1.5), `LlavaNextImageProcessor` (anyres) and
 * `Qwen2VLImageProcessor` (Qwen2-VL, Qwen2.5-VL). Browser-safe: no Node APIs; decoding with sharp
 * lives in `@resprune/image-processing/node`.
 *
 * @example
 * ```ts
 * import { parseImageProcessorConfig, preprocessImage, resizePil } from '@resprune/image-processing';
 *
 * const cfg = parseImageProcessorConfig(preprocessorJson); // CLIPImageProcessor, ...
 * const out = preprocessImage(rgbImage, cfg);              // out.pixelValues: Float32Array, out.shape
 * const thumb = resizePil(rgbImage, 64, 48);               // np.array(im.resize((64, 48), Image.BICUBIC))
 * ```
 * @packageDocumentation
 */
export { assertRgbImage, type RgbImage } from './image.js';
export { pilCoefficients, PilResample, resizePil, type PilCoefficients, type PilResampleFilter } from './resample.js';
export { convertToRgb, type DecodedPixels, type PilMode } from './convert.js';
export { centerCrop, cropOrPad, rescaleNormalizeInto, shortestEdgeSize } from './transforms.js';
export {
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  parseClipConfig,
  parseImageProcessorConfig,
  parseLlavaNextConfig,
  parseQwen2VlConfig,
  SUPPORTED_PROCESSOR_TYPES,
  type ClipProcessorConfig,
  type CommonProcessorConfig,
  type ImageProcessorConfig,
  type LlavaNextProcessorConfig,
  type Qwen2VlProcessorConfig,
  type SizeSpec,
} from './config.js';
export {
  clipPixelValues,
  llavaNextPixelValues,
  preprocessImage,
  qwen2VlPixelValues,
  type ClipPixelValues,
  type LlavaNextPixelValues,
  type PixelValues,
  type ProcessedImage,
  type Qwen2VlPixelValues,
} from './processors.js';
