import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { CosineMaxRelevance } from '../kernel-names.js';
import { hasKernel } from '../register.js';
import { assertAllFinite, assertMatrix } from '../validate.js';

const OP = 'cosineMaxRelevance';

/** Rows scaled to unit length; all-zero rows stay zero. Rows are first divided by their largest |entry| so squares cannot overflow. */
function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  const m = tf.max(tf.abs(x), 1, true);
  const xs = tf.div(x, tf.where(tf.greater(m, 0), m, tf.onesLike(m)));
  const norm = tf.sqrt(tf.sum(tf.square(xs), 1, true));
  return tf.div(xs, tf.where(tf.greater(norm, 0), norm, tf.onesLike(norm)));
}

/**
 * Text relevance of each visual token: `c_i = max_m cos(v_i, t_m)` (docs/guide/method.md#1-relevance, before
 * min–max normalisation).
 *
 * A zero-norm row (visual or text) has cosine 0 with every other row, so an all-zero visual token
 * gets `c_i = 0` and an all-zero text row never wins the max unless every cosine is negative.
 * Results are clipped to [-1, 1]. The caller owns the returned tensor; intermediates are freed.
 *
 * On cpu a registered kernel computes the cosines in float64; elsewhere the op composes
 * `normalize(V) · normalize(T)ᵀ` and a row max.
 *
 * @param visual - visual tokens `[tokens, hidden]`, float32, finite, non-empty
 * @param text - text vectors `[words, hidden]`, float32, finite, non-empty, same `hidden`
 * @returns `[tokens]` float32 maximum cosine per visual token
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` (rank, or `hidden` differs), `E_DTYPE`,
 *   `E_EMPTY_INPUT`, `E_NON_FINITE`
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { cosineMaxRelevance } from '@resprune/linalg';
 * const c = cosineMaxRelevance(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[1, 1]]));
 * c.print(); // [0.7071, 0.7071]
 * ```
 */
export function cosineMaxRelevance(visual: tf.Tensor2D, text: tf.Tensor2D): tf.Tensor1D {
  assertMatrix(visual, OP, 'visual');
  assertMatrix(text, OP, 'text');
  if (visual.shape[1] !== text.shape[1]) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${OP}: visual and text must share the feature size; visual is [${visual.shape.join(', ')}], text is [${text.shape.join(', ')}]`,
      { details: { visual: visual.shape, text: text.shape } },
    );
  }
  assertAllFinite(visual, OP, 'visual');
  assertAllFinite(text, OP, 'text');
  if (hasKernel(CosineMaxRelevance)) {
    return tf.engine().runKernel(CosineMaxRelevance, { visual, text }) as tf.Tensor1D;
  }
  return tf.tidy(() => tf.clipByValue(tf.max(tf.matMul(unitRows(visual), tf.transpose(unitRows(text))), 1), -1, 1) as tf.Tensor1D);
}
