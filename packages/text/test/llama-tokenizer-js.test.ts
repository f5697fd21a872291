import llamaTokenizer from 'llama-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { fromLlamaTokenizerJs, fromTokenizerJson } from '../src/index.js';
import { expectError, llama2Json } from './helpers.js';

describe('fromLlamaTokenizerJs (LLaMA-2 / Vicuna / LLaVA-1.5 vocabulary)', () => {
  const tok = fromLlamaTokenizerJs(llamaTokenizer);

  it('encodes " the" as 278 (▁the), with no BOS', () => {
    expect(llamaTokenizer.vocabById[278]).toBe('▁the');
    expect(tok.encodeWord('the')).toEqual([278]);
    expect(tok.vocabSize).toBe(32000);
    expect(tok.name).toBe('llama-tokenizer-js');
  });

  it('splits rarer words into ▁-prefixed pieces', () => {
    expect(tok.encodeWord('dog')).toEqual([11203]);
    expect(tok.encodeWord('bicycle')).toEqual([289, 4245, 2841]);
    expect(tok.encodeWord('bicycle').map((id) => llamaTokenizer.vocabById[id])).toEqual(['▁b', 'icy', 'cle']);
  });

  it('agrees with fromTokenizerJson on the same vocabulary for prompt words', () => {
    const viaJson = fromTokenizerJson(llama2Json());
    for (const w of ['dog', 'bicycle', 'hydrant', 'umbrella', 'giraffe', 'Eiffel', 'café', '🐶', 't-shirt', 'u.s.']) {
      expect(tok.encodeWord(w), w).toEqual(viaJson.encodeWord(w));
    }
  });

  it('rejects a wrong object, bad words and bad output', () => {
    expectError(() => fromLlamaTokenizerJs({} as never), 'E_TOKENIZER', /llama-tokenizer-js tokenizer object/);
    expectError(() => fromLlamaTokenizerJs(null as never), 'E_TOKENIZER');
    expectError(() => tok.encodeWord(''), 'E_EMPTY_INPUT');
    const broken = fromLlamaTokenizerJs({ encode: () => [1.5] }, { name: 'broken' });
    expect(broken.vocabSize).toBeUndefined();
    expectError(() => broken.encodeWord('dog'), 'E_TOKENIZER', /broken: encoding "dog" gave \[1.5\]/);
  });
});
