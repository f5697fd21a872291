import llamaTokenizer from 'llama-tokenizer-js';
import { describe, expect, it } from 'vitest';
import {
  embedWords,
  fromLlamaTokenizerJs,
  fromTokenizerJson,
  textVectors,
  type EmbeddingTable,
  type WordTokenizer,
} from '../src/index.js';
import { expectError, mistralJson, qwen3Json } from './helpers.js';

/** A tokenizer with a fixed word → ids map, for exact arithmetic on a tiny table. */
function mapTokenizer(map: Record<string, number[]>): WordTokenizer {
  return {
    name: 'map',
    encodeWord(word: string): number[] {
      const ids = map[word];
      if (ids === undefined) throw new Error(`no ids for ${word}`);
      return ids;
    },
  };
}

/** 6 rows of length 3; row i = [i, 10 i, -i]. */
function smallTable(): EmbeddingTable & { data: Float32Array } {
  const d = 3;
  const data = new Float32Array(6 * d);
  for (let i = 0; i < 6; i++) data.set([i, 10 * i, -i], i * d);
  return { data, vocabSize: 6, d };
}

const TINY = mapTokenizer({ dog: [1], bicycle: [2, 3, 5], the: [4], sunny: [0, 4] });

describe('textVectors: averaging on a known table', () => {
  it('gives one row per noun, the mean of its pieces, exactly', () => {
    const T = textVectors('What is the dog doing next to the bicycle?', { tokenizer: TINY, embeddings: smallTable() });
    expect(T.source).toBe('nouns');
    expect(T.words).toEqual(['dog', 'bicycle']);
    expect(T.ids).toEqual([[1], [2, 3, 5]]);
    expect(T.m).toBe(2);
    expect(T.d).toBe(3);
    expect(Array.from(T.vectors)).toEqual([1, 10, -1, Math.fround(10 / 3), Math.fround(100 / 3), Math.fround(-10 / 3)]);
  });

  it('uses the content-word fallback and averages it the same way', () => {
    const T = textVectors('Is it sunny?', { tokenizer: TINY, embeddings: smallTable() });
    expect(T.source).toBe('content-words');
    expect(T.words).toEqual(['sunny']);
    expect(Array.from(T.vectors)).toEqual([2, 20, -2]);
  });

  it('an empty or word-less prompt means no conditioning, not an error', () => {
    for (const prompt of ['', '   ', 'Where is this?']) {
      const T = textVectors(prompt, { tokenizer: TINY, embeddings: smallTable() });
      expect(T).toEqual({ words: [], ids: [], vectors: new Float32Array(0), m: 0, d: 3, source: 'none' });
    }
    const viaLookup = textVectors('', { tokenizer: TINY, embeddings: () => new Float32Array(3) });
    expect(viaLookup.d).toBe(0);
    expect(viaLookup.m).toBe(0);
  });

  it('embedWords keeps the words it is given, in order, duplicates included', () => {
    const W = embedWords(['the', 'dog', 'the'], { tokenizer: TINY, embeddings: smallTable() });
    expect(W.m).toBe(3);
    expect(Array.from(W.vectors)).toEqual([4, 40, -4, 1, 10, -1, 4, 40, -4]);
  });

  it('reads float16 and bfloat16 tables without widening the whole table', () => {
    // float16 rows: 0 = [1, 0.5], 1 = [-2, 65504 (largest finite)], 2 = [2^-24 (smallest subnormal), 0]
    const f16 = new Uint16Array([0x3c00, 0x3800, 0xc000, 0x7bff, 0x0001, 0x0000]);
    const tok = mapTokenizer({ dog: [0, 1], cat: [2] });
    const a = embedWords(['dog', 'cat'], { tokenizer: tok, embeddings: { data: f16, vocabSize: 3, d: 2, dtype: 'float16' } });
    expect(Array.from(a.vectors)).toEqual([-0.5, (0.5 + 65504) / 2, 2 ** -24, 0]);
    const bf16 = new Uint16Array([0x3f80, 0x3f00, 0xc000, 0x4040, 0x0000, 0xbf80]);
    const b = embedWords(['dog', 'cat'], { tokenizer: tok, embeddings: { data: bf16, vocabSize: 3, d: 2, dtype: 'bfloat16' } });
    expect(Array.from(b.vectors)).toEqual([-0.5, 1.75, 0, -1]);
  });

  it('accepts a row lookup function', () => {
    const table = smallTable();
    const seen: number[] = [];
    const lookup = (id: number): Float32Array => {
      seen.push(id);
      return table.data.slice(id * 3, id * 3 + 3);
    };
    const T = textVectors('What is the dog doing next to the bicycle?', { tokenizer: TINY, embeddings: lookup });
    expect(T.d).toBe(3);
    expect(Array.from(T.vectors)).toEqual(Array.from(textVectors('What is the dog doing next to the bicycle?', { tokenizer: TINY, embeddings: table }).vectors));
    expect(seen.sort()).toEqual([1, 2, 3, 5]); // each distinct id read once
  });

  it('is deterministic, bit for bit', () => {
    const opts = { tokenizer: TINY, embeddings: smallTable() };
    const a = textVectors('What is the dog doing next to the bicycle?', opts);
    const b = textVectors('What is the dog doing next to the bicycle?', opts);
    expect(new Uint32Array(b.vectors.buffer)).toEqual(new Uint32Array(a.vectors.buffer));
  });
});

describe('textVectors with the real tokenizers', () => {
  /** A synthetic table whose row id is [id, id mod 7, sin(id), 1]. */
  function syntheticTable(vocabSize: number): EmbeddingTable {
    const d = 4;
    const data = new Float32Array(vocabSize * d);
    for (let id = 0; id < vocabSize; id++) data.set([id, id % 7, Math.sin(id), 1], id * d);
    return { data, vocabSize, d };
  }
  function meanOfRows(table: EmbeddingTable, ids: number[]): number[] {
    const out = [0, 0, 0, 0];
    for (const id of ids) for (let k = 0; k < 4; k++) out[k]! += table.data[id * 4 + k]!;
    return out.map((v) => Math.fround(v / ids.length));
  }

  it('LLaMA-2 (llama-tokenizer-js): dog = row 11203, bicycle = mean of rows 289, 4245, 2841', () => {
    const table = syntheticTable(32000);
    const T = textVectors('What is the dog doing next to the bicycle?', { tokenizer: fromLlamaTokenizerJs(llamaTokenizer), embeddings: table });
    expect(T.words).toEqual(['dog', 'bicycle']);
    expect(T.ids).toEqual([[11203], [289, 4245, 2841]]);
    expect(Array.from(T.vectors.subarray(0, 4))).toEqual(meanOfRows(table, [11203]));
    expect(Array.from(T.vectors.subarray(4, 8))).toEqual(meanOfRows(table, [289, 4245, 2841]));
  });

  it('Mistral and Qwen (tokenizer.json), with a padded Qwen2.5-VL-sized table of 152064 rows', () => {
    const mistral = fromTokenizerJson(mistralJson());
    const qwen = fromTokenizerJson(qwen3Json());
    const prompt = 'Is there a red car parked near the fire hydrant?';
    const a = textVectors(prompt, { tokenizer: mistral, embeddings: syntheticTable(32000) });
    expect(a.words).toEqual(['car', 'fire', 'hydrant']);
    expect(a.ids).toEqual(a.words.map((w) => mistral.encodeWord(w)));
    const table = syntheticTable(152064);
    const b = textVectors(prompt, { tokenizer: qwen, embeddings: table });
    expect(b.ids).toEqual([[1803], [3940], [44605, 517]]);
    expect(b.ids.map((ids) => ids.map((id) => qwen.idToToken(id)))).toEqual([['Ġcar'], ['Ġfire'], ['Ġhydr', 'ant']]);
    b.ids.forEach((ids, m) => expect(Array.from(b.vectors.subarray(m * 4, m * 4 + 4))).toEqual(meanOfRows(table, ids)));
  });

  it('Describe this image. → image', () => {
    const T = textVectors('Describe this image.', { tokenizer: fromTokenizerJson(qwen3Json()), embeddings: syntheticTable(151669) });
    expect(T.words).toEqual(['image']);
    expect(T.ids).toEqual([[2168]]);
  });
});

describe('textVectors rejects bad inputs with typed errors', () => {
  const llama = fromLlamaTokenizerJs(llamaTokenizer);

  it('ids beyond the embedding table (tokenizer and table of different models)', () => {
    const table = { data: new Float32Array(1000 * 2), vocabSize: 1000, d: 2 };
    expectError(
      () => textVectors('Where is the bicycle?', { tokenizer: llama, embeddings: table }),
      'E_TOKENIZER',
      /gave id 4245 for "bicycle", but the embedding table has 1000 rows \(ids 0..999\)/,
    );
    try {
      textVectors('Where is the bicycle?', { tokenizer: llama, embeddings: table });
    } catch (e) {
      expect((e as { details: unknown }).details).toEqual({ word: 'bicycle', id: 4245, vocabSize: 1000 });
    }
  });

  it('NaN or infinite rows', () => {
    const t = smallTable();
    t.data[3 * 3 + 1] = NaN;
    expectError(() => textVectors('the bicycle', { tokenizer: TINY, embeddings: t }), 'E_NON_FINITE', /row 3 \(a piece of "bicycle"\) has NaN at column 1/);
    const u = smallTable();
    u.data[1 * 3] = -Infinity;
    expectError(() => textVectors('the dog', { tokenizer: TINY, embeddings: u }), 'E_NON_FINITE', /-Infinity/);
    const f16Nan = new Uint16Array([0x3c00, 0x7e00]);
    expectError(() => embedWords(['dog'], { tokenizer: mapTokenizer({ dog: [0] }), embeddings: { data: f16Nan, vocabSize: 1, d: 2, dtype: 'float16' } }), 'E_NON_FINITE');
  });

  it('a table of the wrong size, shape or dtype', () => {
    const data = new Float32Array(10);
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data, vocabSize: 6, d: 3 } }), 'E_SHAPE_MISMATCH', /has 10 values but vocabSize × d = 6 × 3 = 18/);
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data, vocabSize: 0, d: 3 } }), 'E_SHAPE_MISMATCH', /positive integers/);
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data, vocabSize: 5, d: 2.5 } }), 'E_SHAPE_MISMATCH');
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data: new Uint16Array(18), vocabSize: 6, d: 3 } }), 'E_DTYPE', /dtype must be 'float16' or 'bfloat16'/);
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data: new Float32Array(18), vocabSize: 6, d: 3, dtype: 'float16' } }), 'E_DTYPE');
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data: new Float64Array(18), vocabSize: 6, d: 3 } as never }), 'E_DTYPE', /got Float64Array/);
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: { data: [1, 2, 3], vocabSize: 1, d: 3 } as never }), 'E_DTYPE', /got Array/);
    // The table is checked even when the prompt needs no row.
    expectError(() => textVectors('', { tokenizer: TINY, embeddings: { data, vocabSize: 6, d: 3 } }), 'E_SHAPE_MISMATCH');
  });

  it('a lookup that returns the wrong thing, or throws', () => {
    expectError(() => textVectors('the bicycle', { tokenizer: TINY, embeddings: (() => [1, 2, 3]) as never }), 'E_DTYPE', /returned Array for id/);
    expectError(() => textVectors('the bicycle', { tokenizer: TINY, embeddings: (id: number) => new Float32Array(id) }), 'E_SHAPE_MISMATCH', /length/);
    const own = new Error('row store offline');
    expect(() =>
      textVectors('the dog', {
        tokenizer: TINY,
        embeddings: () => {
          throw own;
        },
      }),
    ).toThrow(own);
  });

  it('a missing or misbehaving tokenizer, missing options', () => {
    expectError(() => textVectors('dog', { tokenizer: undefined as never, embeddings: smallTable() }), 'E_TOKENIZER', /options.tokenizer is missing/);
    expectError(() => textVectors('dog', { tokenizer: { name: 'x' } as never, embeddings: smallTable() }), 'E_TOKENIZER');
    expectError(() => textVectors('dog', { tokenizer: mapTokenizer({ dog: [] }), embeddings: smallTable() }), 'E_TOKENIZER', /gave no token ids for "dog"/);
    expectError(() => textVectors('dog', { tokenizer: mapTokenizer({ dog: [-1] }), embeddings: smallTable() }), 'E_TOKENIZER', /gave -1 for "dog", not a token id/);
    expectError(() => textVectors('dog', { tokenizer: mapTokenizer({ dog: [1.5] }), embeddings: smallTable() }), 'E_TOKENIZER');
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: undefined as never }), 'E_INVALID_OPTION', /embeddings must be a table/);
    expectError(() => textVectors('dog', { tokenizer: TINY, embeddings: 'embed_tokens' as never }), 'E_INVALID_OPTION');
    expectError(() => textVectors('dog', undefined as never), 'E_INVALID_OPTION', /options \{ tokenizer, embeddings \} are required/);
    expectError(() => textVectors(undefined as never, { tokenizer: TINY, embeddings: smallTable() }), 'E_INVALID_OPTION', /prompt must be a string/);
    expectError(() => embedWords('dog' as never, { tokenizer: TINY, embeddings: smallTable() }), 'E_INVALID_OPTION', /words must be an array/);
  });
});
