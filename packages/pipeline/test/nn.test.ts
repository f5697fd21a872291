import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '@resprune/test-backends';
import { batchMatMul, linear } from '../src/models/nn.js';

describe('model building blocks', () => {
  it('linear(x, Wᵀ) with the weight held [in, out] equals x · Wᵀ with the checkpoint layout [out, in]', async () => {
    const x = tf.randomNormal([2, 5, 24], 0, 1, 'float32', 1);
    const w = tf.randomNormal([40, 24], 0, 1, 'float32', 2); // PyTorch [out, in]
    const bias = tf.randomNormal([40], 0, 1, 'float32', 3);
    const wt = tf.transpose(w);
    try {
      // linear is used inside the model's tidy scopes; here too
      await expectNoLeak(() => {
        const [y, ref] = tf.tidy(() => [linear(x, wt, bias), tf.add(tf.reshape(tf.matMul(tf.reshape(x, [10, 24]), w, false, true), [2, 5, 40]), bias)]);
        expect(y.shape).toEqual([2, 5, 40]);
        expectClose(y.dataSync() as Float32Array, ref.dataSync() as Float32Array, 1e-4);
        tf.dispose([y, ref]);
      });
    } finally {
      tf.dispose([x, w, bias, wt]);
    }
  });

  it('batchMatMul equals one batched matMul, with and without transposeB, for prefill and decode shapes', async () => {
    for (const m of [1, 40]) {
      const a = tf.randomNormal([2, 3, m, 16], 0, 1, 'float32', 4);
      const k = tf.randomNormal([2, 3, 30, 16], 0, 1, 'float32', 5); // [..., N, K]
      const v = tf.randomNormal([2, 3, 16, 30], 0, 1, 'float32', 6); // [..., K, N]
      try {
        await expectNoLeak(() => {
          for (const [b, tb] of [[k, true], [v, false]] as const) {
            const y = batchMatMul(a, b, tb);
            const ref = tf.matMul(a, b, false, tb);
            expect(y.shape).toEqual([2, 3, m, 30]);
            expectClose(y.dataSync() as Float32Array, ref.dataSync() as Float32Array, 1e-4);
            tf.dispose([y, ref]);
          }
        });
      } finally {
        tf.dispose([a, k, v]);
      }
    }
  });
});
