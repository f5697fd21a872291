/**
 * Real visual tokens from photos with MobileNetV2, for testing and demonstrating token pruning
 * without a full LVLM:
 *
 * - {@link loadMobileNetV2}: the MobileNetV2 of nsfwjs (MIT; weights ship in the npm package, nothing
 *   downloads), cut after its last convolutional block: a 768×768 image gives a 24×24 grid of 576
 *   tokens of 1280 features, like LLaVA-1.5's 576 visual tokens. Its classifier head
 *   ({@link FeatureExtractor.classify}) scores the average of any subset of tokens, a cheap proxy for
 *   how much content a pruned subset keeps.
 * - {@link averagePoolTokens}: the mean of a subset of tokens, for the head.
 *
 * Decoding photos and drawing overlays live in `@resprune/image-features`, which has no TensorFlow.js
 * or nsfwjs dependency; this package adds the network (and nsfwjs, whose npm package asks for the
 * full `@tensorflow/tfjs` as a peer).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import { decodeImage } from '@resprune/image-features';
 * import { averagePoolTokens, loadMobileNetV2, NSFW_CLASSES } from '@resprune/mobilenet-features';
 * const net = await loadMobileNetV2();
 * const f = await net.extract(await decodeImage('dog.jpg'), { size: 768 }); // 576 × 1280
 * const probs = net.classify(averagePoolTokens(f.tokens, f.d));
 * console.log(NSFW_CLASSES[probs.indexOf(Math.max(...probs))]); // 'Neutral'
 * net.dispose();
 * ```
 * @packageDocumentation
 */

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
  type LoadProgress,
  type NsfwClass,
} from './mobilenet.js';
