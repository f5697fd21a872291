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

/**
 * Batched attention product `a · b` (or `a · bᵀ` with `transposeB`) over the leading axes: `a` `[..., M, K]`,
 * `b` `[..., K, N]` (or `[..., N, K]`). On the tfjs wasm backend a batched (rank > 2) matMul runs ~7× slower than
 * the same products as 2-D matMuls with a `[K, N]` right operand, so there `b` is transposed once (one cheap copy)
 * and the batch runs as 2-D products; other backends use one batched matMul.
 * @internal
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeB: boolean): tf.Tensor {
  const r = a.shape.length;
  const m = a.shape[r - 2]!;
  // Single-row products (decoding) gain nothing from the split.
  if (tf.getBackend() !== 'wasm' || r < 3 || m < 16) return tf.matMul(a, b, false, transposeB);
  const k = a.shape[r - 1]!;
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((x, y) => x * y, 1);
  return tf.tidy(() => {
    let bt = b;
    if (transposeB) {
      const perm = b.shape.map((_, i) => i);
      perm[r - 2] = r - 1;
      perm[r - 1] = r - 2;
      bt = tf.transpose(b, perm);
    }
    const n = bt.shape[r - 1]!;
    const as = tf.unstack(tf.reshape(a, [batch, m, k]));
    const bs = tf.unstack(tf.reshape(bt, [batch, k, n]));
    return tf.reshape(tf.stack(as.map((x, i) => tf.matMul(x as tf.Tensor2D, bs[i] as tf.Tensor2D))), [...lead, m, n]);
  });
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
