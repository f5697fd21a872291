import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../config.js';

/**
 * `x · W + b` over the last axis, with a weight pre-transposed at load to `[in, out]` (the PyTorch checkpoint
 * stores `[out, in]`; `matMul(x, W, false, true)` would re-lay it out on every call on the wasm and cpu backends).
 * @internal
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1]!;
  const outDim = weight.shape[1]!;
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, weight as tf.Tensor2D);
  if (bias !== undefined) y = tf.add(y, bias);
  return tf.reshape(y, [...lead, outDim]);
}

/** LayerNorm over the last axis. @internal */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias);
}

/** RMSNorm over the last axis (LLaMA): `x / sqrt(mean(x²) + eps) · w`. @internal */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
}

/** Applies a Hugging Face activation by name. @internal */
export function activation(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'quick_gelu':
      return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    case 'gelu':
      // exact GELU: x · Φ(x) = 0.5 x (1 + erf(x / √2))
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'gelu_pytorch_tanh': {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
  }
}
