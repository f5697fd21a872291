import * as tf from '@tensorflow/tfjs-core';
import type { Normalize } from './options.js';

/** Transformed features with the bookkeeping the caller needs. */
export interface Features {
  /** `[tokens, hidden]` float32; the input tensor itself for `'none'`. */
  readonly features: tf.Tensor2D;
  /** Whether `features` is a new tensor the caller must dispose. */
  readonly owned: boolean;
  /**
   * `features = transform(visual) × scale`, a power of two: 1 except for `'center'` on magnitudes
   * that could overflow float32 (|x| > 2^32) or lose precision (< 2^-32).
   */
  readonly scale: number;
}

/**
 * The feature transform of docs/guide/method.md#3-feature-transform. `'l2'` divides each row by its norm (after an
 * exact divide by its largest |entry| so squares cannot overflow; zero rows stay zero);
 * `'center'` subtracts the mean token.
 */
export function transformFeatures(visual: tf.Tensor2D, normalize: Normalize): Features {
  if (normalize === 'none') return { features: visual, owned: false, scale: 1 };
  if (normalize === 'l2') {
    const features = tf.tidy(() => {
      const m = tf.max(tf.abs(visual), 1, true);
      const xs = tf.div(visual, tf.where(tf.greater(m, 0), m, tf.onesLike(m)));
      const norm = tf.sqrt(tf.sum(tf.square(xs), 1, true));
      return tf.div(xs, tf.where(tf.greater(norm, 0), norm, tf.onesLike(norm))) as tf.Tensor2D;
    });
    return { features, owned: true, scale: 1 };
  }
  const maxAbsT = tf.tidy(() => tf.max(tf.abs(visual)));
  const maxAbs = maxAbsT.dataSync()[0]!;
  maxAbsT.dispose();
  const scale = maxAbs === 0 || (maxAbs <= 2 ** 32 && maxAbs >= 2 ** -32) ? 1 : 2 ** -Math.floor(Math.log2(maxAbs));
  const features = tf.tidy(() => {
    const x = scale === 1 ? visual : tf.mul(visual, tf.scalar(scale));
    return tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D;
  });
  return { features, owned: true, scale };
}
