import { describe, expect, it } from 'vitest';
import { fromTokenizerJson } from '../src/index.js';
import { expectError, mistralJson } from './helpers.js';

/** A tiny byte-free BPE: a + b → ab. */
const bpe = { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] };

describe('fromTokenizerJson input forms', () => {
  it('a tokenizer.json read as bytes works like its text and its object', () => {
    const json = { model: bpe };
    const bytes = new TextEncoder().encode(JSON.stringify(json));
    expect(fromTokenizerJson(bytes).encode('ab')).toEqual([2]);
    expect(fromTokenizerJson(JSON.stringify(json)).encode('ab')).toEqual([2]);
    expect(fromTokenizerJson(json).encode('ab')).toEqual([2]);
  });

  it('names itself after the model type and size unless given a name', () => {
    expect(fromTokenizerJson({ model: bpe }).name).toBe('tokenizer.json (BPE, 3 ids)');
    expect(fromTokenizerJson({ model: bpe }, { name: 'tiny' }).name).toBe('tiny');
  });
});

describe('added tokens', () => {
  const base = { added_tokens: [{ id: 10, content: '<m>', special: true }], model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] } };

  it('are split out of the text as their ids, and are special', () => {
    const tok = fromTokenizerJson(base);
    expect(tok.encode('ab<m>ab')).toEqual([2, 10, 2]);
    expect(tok.isSpecial(10)).toBe(true);
    expect(tok.isSpecial(2)).toBe(false);
    expect(tok.tokenToId('<m>')).toBe(10);
    expect(tok.idToToken(10)).toBe('<m>');
    expect(tok.vocabSize).toBe(11);
  });
});

describe('fromTokenizerJson rejects garbage with E_TOKENIZER', () => {
  it('not JSON, not an object, no model', () => {
    expectError(() => fromTokenizerJson('{"model": '), 'E_TOKENIZER', /not valid JSON/);
    expectError(() => fromTokenizerJson('<html>404</html>'), 'E_TOKENIZER', /not valid JSON/);
    expectError(() => fromTokenizerJson([1, 2, 3]), 'E_TOKENIZER', /expected a JSON object, got an array/);
    expectError(() => fromTokenizerJson(null), 'E_TOKENIZER', /got null/);
    expectError(() => fromTokenizerJson(42), 'E_TOKENIZER', /got number/);
    expectError(() => fromTokenizerJson({}), 'E_TOKENIZER', /"model" section is missing/);
    expectError(() => fromTokenizerJson({ vocab_size: 32000, model_type: 'llama' }), 'E_TOKENIZER', /"model" section is missing/);
  });

  it('a malformed vocabulary or added-token list', () => {
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: 'a b' } }), 'E_TOKENIZER', /model.vocab must be an object/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: {} } }), 'E_TOKENIZER', /model.vocab is empty/);
    expectError(() => fromTokenizerJson({ model: bpe, added_tokens: [{ content: '<s>' }] }), 'E_TOKENIZER', /added_tokens\[0\] must have a string "content" and a non-negative integer "id"/);
    expectError(() => fromTokenizerJson({ model: bpe, added_tokens: { '<s>': 1 } }), 'E_TOKENIZER', /added_tokens must be an array/);
  });

  it('a real file with its vocabulary removed', () => {
    const broken = { ...mistralJson(), model: { ...(mistralJson()['model'] as object), vocab: undefined } };
    expectError(() => fromTokenizerJson(broken), 'E_TOKENIZER', /model.vocab must be an object/);
  });

  it('a model type the library does not build, or ids that are not ids', () => {
    expectError(() => fromTokenizerJson({ model: { type: 'Mystery', vocab: { a: 0 } } }), 'E_TOKENIZER', /model type "Mystery" is not supported \(supported: BPE, Unigram, WordPiece\)/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: { a: -1 } } }), 'E_TOKENIZER', /model.vocab\["a"\] must be a non-negative integer id, got -1/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: { a: 'zero' } } }), 'E_TOKENIZER', /got "zero"/);
  });
});

describe('Tokenizer methods reject bad arguments', () => {
  const tok = fromTokenizerJson({ added_tokens: [{ id: 3, content: '<s>', special: true }], model: bpe });

  it('encode and encodeWord', () => {
    expectError(() => tok.encode(undefined as unknown as string), 'E_INVALID_OPTION', /text must be a string/);
    expectError(() => tok.encodeWord(''), 'E_EMPTY_INPUT', /word is empty or blank/);
    expectError(() => tok.encodeWord('  \t'), 'E_EMPTY_INPUT');
    expectError(() => tok.encodeWord(7 as unknown as string), 'E_INVALID_OPTION', /word must be a string, got number/);
    expect(tok.encode('', { addSpecialTokens: false })).toEqual([]);
  });

  it('decode', () => {
    expect(tok.decode([])).toBe('');
    expect(tok.decode([2, 3], { skipSpecialTokens: true })).toBe('ab');
    expectError(() => tok.decode([4]), 'E_TOKENIZER', /4 is not a token id of this tokenizer \(valid: integers in \[0, 4\)/);
    expectError(() => tok.decode([-1]), 'E_TOKENIZER');
    expectError(() => tok.decode([1.5]), 'E_TOKENIZER');
    expectError(() => tok.decode('ab' as unknown as number[]), 'E_INVALID_OPTION', /ids must be an array/);
    expect(tok.idToToken(99)).toBeUndefined();
    expect(tok.tokenToId('zz')).toBeUndefined();
  });
});
