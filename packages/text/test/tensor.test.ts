import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expectNoLeak } from '@resprune/test-backends';
import { describe, expect, it } from 'vitest';
import { textVectors, type WordTokenizer } from '../src/index.js';
import { expectError } from './helpers.js';

const TINY: WordTokenizer = {
  name: 'map',
  encodeWord: (word) => ({ dog: [1], bicycle: [2, 3, 5] })[word] ?? [0],
};

/** 6 rows of length 3; row i = [i, 10 i, -i]. */
function tableData(): Float32Array {
  const data = new Float32Array(18);
  for (let i = 0; i < 6; i++) data.set([i, 10 * i, -i], i * 3);
  return data;
}

// This package's tests run once (no per-backend projects), so the tensor path is checked on
// each installed backend here.
describe.each(['cpu', 'wasm'])('embeddings as a tf.Tensor2D on %s', (backend) => {
  it('gathers only the needed rows, averages like the typed-array table, and leaks nothing', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    const table = tf.tensor2d(tableData(), [6, 3]);
    try {
      const T = await expectNoLeak(() => textVectors('What is the dog doing next to the bicycle?', { tokenizer: TINY, embeddings: table }));
      const ref = textVectors('What is the dog doing next to the bicycle?', { tokenizer: TINY, embeddings: { data: tableData(), vocabSize: 6, d: 3 } });
      expect(T.d).toBe(3);
      expect(Array.from(T.vectors)).toEqual(Array.from(ref.vectors));
      const none = await expectNoLeak(() => textVectors('', { tokenizer: TINY, embeddings: table }));
      expect(none.m).toBe(0);
      expect(none.d).toBe(3);
    } finally {
      table.dispose();
    }
  });

  it('rejects wrong dtype, rank, disposed tensors and out-of-range ids, leaking nothing', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    const ints = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const rank3 = tf.zeros([2, 2, 2]);
    const small = tf.tensor2d(tableData().subarray(0, 9), [3, 3]);
    const disposed = tf.zeros([2, 2]);
    disposed.dispose();
    try {
      await expectNoLeak(() => {
        expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: ints as tf.Tensor2D }), 'E_DTYPE', /must be float32, got int32/);
        expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: rank3 as unknown as tf.Tensor2D }), 'E_SHAPE_MISMATCH', /\[vocabSize, d\], got shape \[2, 2, 2\]/);
        expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: disposed as tf.Tensor2D }), 'E_INVALID_OPTION', /disposed/);
        expectError(() => textVectors('the bicycle', { tokenizer: TINY, embeddings: small }), 'E_TOKENIZER', /gave id 3 for "bicycle", but the embedding table has 3 rows/);
      });
    } finally {
      tf.dispose([ints, rank3, small]);
    }
  });
});
