import * as tf from '@tensorflow/tfjs-core';

/** Kernel name of the fused bias + softmax registered for the cpu backend. @internal */
export const MASKED_SOFTMAX = 'ResPrune.MaskedSoftmax';

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/**
 * Softmax over the last axis of `x + bias`, one row at a time: the tfjs cpu backend composes softmax from
 * broadcasting ops whose generic index path costs ~100× a plain loop on attention-sized tensors, so on cpu this
 * runs as one kernel. Other backends use tfjs ops.
 */
function cpuKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as CpuBackendLike;
  const x = args.inputs['x']!;
  const bias = args.inputs['bias'];
  const xv = backend.data.get(x.dataId).values;
  const bv = bias === undefined ? undefined : backend.data.get(bias.dataId).values;
  const total = x.shape[x.shape.length - 1]!;
  const len = x.shape[x.shape.length - 2]!;
  const batch = x.shape[0]!;
  const rows = xv.length / total;
  const rowsPerBatch = rows / batch;
  const out = new Float32Array(xv.length);
  for (let r = 0; r < rows; r++) {
    const off = r * total;
    const boff = bv === undefined ? 0 : (Math.floor(r / rowsPerBatch) * len + (r % len)) * total;
    let m = -Infinity;
    for (let j = 0; j < total; j++) {
      const v = bv === undefined ? xv[off + j]! : xv[off + j]! + bv[boff + j]!;
      out[off + j] = v;
      if (v > m) m = v;
    }
    let sum = 0;
    for (let j = 0; j < total; j++) {
      const e = Math.exp(out[off + j]! - m);
      out[off + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < total; j++) out[off + j] = out[off + j]! * inv;
  }
  return backend.makeTensorInfo([...x.shape], 'float32', out);
}

let registered = false;

/**
 * `softmax(x + bias)` over the last axis.
 *
 * @param x - `[batch, ..., len, total]` attention scores
 * @param bias - `[batch, len, total]` additive mask shared by the middle axes, or undefined
 * @returns same shape as `x` (caller owns)
 * @internal
 */
export function maskedSoftmax(x: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  if (tf.getBackend() === 'cpu') {
    if (!registered && tf.getKernel(MASKED_SOFTMAX, 'cpu') === undefined) {
      tf.registerKernel({ kernelName: MASKED_SOFTMAX, backendName: 'cpu', kernelFunc: cpuKernel as unknown as tf.KernelFunc });
    }
    registered = true;
    const inputs: tf.NamedTensorMap = bias === undefined ? { x } : { x, bias };
    return tf.engine().runKernel(MASKED_SOFTMAX, inputs) as tf.Tensor;
  }
  if (bias === undefined) return tf.softmax(x);
  const b = x.shape[0]!;
  const len = x.shape[x.shape.length - 2]!;
  const total = x.shape[x.shape.length - 1]!;
  const mid = x.size / (b * len * total);
  return tf.tidy(() => tf.reshape(tf.softmax(tf.add(tf.reshape(x, [b, mid, len, total]), tf.reshape(bias, [b, 1, len, total]))), x.shape));
}
