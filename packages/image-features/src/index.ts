/**
 * Real visual tokens from photos, for testing and demonstrating token pruning without a full LVLM:
 *
 * - {@link decodeImage}: JPEG/PNG → 8-bit RGB (sharp; Node).
 * - {@link loadMobileNetV2}: the MobileNetV2 of nsfwjs (MIT; weights ship in the npm package, nothing
 *   downloads), cut after its last convolutional block: a 768×768 image gives a 24×24 grid of 576
 *   tokens of 1280 features, like LLaVA-1.5's 576 visual tokens. Its classifier head
 *   ({@link FeatureExtractor.classify}) scores the average of any subset of tokens, a cheap proxy for
 *   how much content a pruned subset keeps.
 * - {@link renderOverlay} and {@link asciiGrid}: show which tokens were kept.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import { averagePoolTokens, decodeImage, loadMobileNetV2, NSFW_CLASSES } from '@resprune/image-features';
 * const net = await loadMobileNetV2();
 * const f = await net.extract(await decodeImage('dog.jpg'), { size: 768 }); // 576 × 1280
 * const probs = net.classify(averagePoolTokens(f.tokens, f.d));
 * console.log(NSFW_CLASSES[probs.indexOf(Math.max(...probs))]); // 'Neutral'
 * net.dispose();
 * ```
 * @packageDocumentation
 */

export {
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_MAX_PIXELS,
  decodeImage,
  readImageHeader,
  type DecodeImageOptions,
  type ImageHeader,
  type RgbImage,
} from './image.js';
export {
  averagePoolTokens,
  loadMobileNetV2,
  NSFW_CLASSES,
  type ClassifierHead,
  type DenseLayerWeights,
  type ExtractOptions,
  type FeatureExtractor,
  type ImageFeatures,
  type ImageInput,
  type LoadMobileNetV2Options,
  type NsfwClass,
} from './mobilenet.js';
export { asciiGrid, renderOverlay, type AsciiGridOptions, type OverlayOptions, type TokenGrid } from './overlay.js';
