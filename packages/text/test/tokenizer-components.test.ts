import { describe, expect, it } from 'vitest';
import { fromTokenizerJson } from '../src/index.js';
import { translateRegex } from '../src/regex.js';
import { splitText } from '../src/tokenizer-json.js';
import { expectError, mistralJson } from './helpers.js';

/** A tiny SentencePiece-style BPE: ▁-words, merges ▁+a, a+b, ▁a+b. */
function metaspaceJson(prependScheme: 'always' | 'first' | 'never', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    added_tokens: [{ id: 7, content: '<s>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split: true },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme },
    model: {
      type: 'BPE',
      unk_token: '<unk>',
      fuse_unk: false,
      vocab: { '<unk>': 0, '▁': 1, a: 2, b: 3, '▁a': 4, '▁ab': 5, ab: 6 },
      merges: ['▁ a', 'a b', '▁a b'],
      ...extra,
    },
  };
}

describe('BPE model', () => {
  it('applies merges by rank and encodes words with the ▁ marker', () => {
    const tok = fromTokenizerJson(metaspaceJson('always'));
    expect(tok.encode('ab ab')).toEqual([5, 5]);
    expect(tok.encode('ba')).toEqual([1, 3, 2]); // no merge for ▁+b or b+a
    expect(tok.encodeWord('ab')).toEqual([5]);
    expect(tok.decode([5, 5])).toBe('ab ab');
  });

  it('Metaspace prepend_scheme "first" prepends only at offset 0 of the text', () => {
    expect(fromTokenizerJson(metaspaceJson('first')).encode('ab<s>ab')).toEqual([5, 7, 6]);
    expect(fromTokenizerJson(metaspaceJson('always')).encode('ab<s>ab')).toEqual([5, 7, 5]);
    expect(fromTokenizerJson(metaspaceJson('never')).encode('ab<s>ab')).toEqual([6, 7, 6]);
    // A word mid-sentence always carries its own ▁, whatever the scheme.
    expect(fromTokenizerJson(metaspaceJson('never')).encodeWord('ab')).toEqual([5]);
  });

  it('maps unknown characters to unk, fused or not', () => {
    expect(fromTokenizerJson(metaspaceJson('never')).encode('azzb')).toEqual([2, 0, 0, 3]);
    expect(fromTokenizerJson(metaspaceJson('never', { fuse_unk: true })).encode('azzb')).toEqual([2, 0, 3]);
  });

  it('uses byte fallback for characters outside the vocabulary', () => {
    const json = metaspaceJson('never', { byte_fallback: true });
    const model = json['model'] as { vocab: Record<string, number> };
    model.vocab['<0x7A>'] = 8; // 'z'
    model.vocab['<0xC3>'] = 9;
    model.vocab['<0xA9>'] = 10; // 'é' = C3 A9
    const tok = fromTokenizerJson({ ...json, decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] } });
    expect(tok.encode('zé')).toEqual([8, 9, 10]);
    expect(tok.decode([8, 9, 10])).toBe('zé');
    expect(tok.decode([9])).toBe('\uFFFD'); // a lone lead byte is not UTF-8
    expect(tok.encode('q')).toEqual([0]); // no <0x71>: falls back to unk
  });

  it('throws E_TOKENIZER for a character it cannot encode at all', () => {
    const json = metaspaceJson('never');
    const model = json['model'] as Record<string, unknown>;
    model['unk_token'] = null;
    expectError(() => fromTokenizerJson(json).encode('aqb'), 'E_TOKENIZER', /"q" \(U\+0071\) is not in the vocabulary/);
  });

  it('ignore_merges emits a whole-word vocabulary entry directly (LLaMA-3 behaviour)', () => {
    const json = {
      model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2, ab: 3, abc: 4 }, merges: ['a b'], ignore_merges: true },
    };
    expect(fromTokenizerJson(json).encode('abc')).toEqual([4]);
    expect(fromTokenizerJson({ model: { ...json.model, ignore_merges: false } }).encode('abc')).toEqual([3, 2]);
  });

  it('accepts merges written as pairs (newer tokenizer.json files)', () => {
    const tok = fromTokenizerJson({ model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: [['a', 'b']] } });
    expect(tok.encode('abab')).toEqual([2, 2]);
  });
});

describe('other pre-tokenizers', () => {
  it('Whitespace keeps Unicode words whole, isolates punctuation and drops spaces', () => {
    // "é l" merges only if é and l are in the same pre-token; an ASCII-only \w would cut at é.
    const model = { type: 'BPE', vocab: { h: 0, é: 1, l: 2, o: 3, ',': 4, él: 5, ' ': 6 }, merges: ['é l'] };
    expect(fromTokenizerJson({ pre_tokenizer: { type: 'Whitespace' }, model }).encode('hél, o')).toEqual([0, 5, 4, 3]);
  });

  it('Digits isolates digit runs, or single digits', () => {
    const model = { type: 'BPE', vocab: { a: 0, '1': 1, '2': 2, '12': 3 }, merges: ['1 2'] };
    expect(fromTokenizerJson({ pre_tokenizer: { type: 'Digits', individual_digits: false }, model }).encode('a12a')).toEqual([0, 3, 0]);
    expect(fromTokenizerJson({ pre_tokenizer: { type: 'Digits', individual_digits: true }, model }).encode('a12a')).toEqual([0, 1, 2, 0]);
  });

  it('WhitespaceSplit drops whitespace between pieces', () => {
    const model = { type: 'BPE', vocab: { a: 0, b: 1, ' ': 2, ab: 3 }, merges: ['a b'] };
    expect(fromTokenizerJson({ pre_tokenizer: { type: 'WhitespaceSplit' }, model }).encode(' a b  ab ')).toEqual([0, 1, 3]);
    expect(fromTokenizerJson({ model }).encode('a b')).toEqual([0, 2, 1]);
  });

  it('a tokenizer.json read as bytes works like its text', () => {
    const json = { model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] } };
    const bytes = new TextEncoder().encode(JSON.stringify(json));
    expect(fromTokenizerJson(bytes).encode('ab')).toEqual([2]);
  });
});

describe('added tokens', () => {
  const base = (token: Record<string, unknown>): Record<string, unknown> => ({
    added_tokens: [{ id: 10, content: '<m>', special: true, ...token }],
    model: { type: 'BPE', unk_token: '?', vocab: { '?': 0, a: 1, b: 2, ' ': 3, x: 4 }, merges: [] },
  });

  it('splits them out of the text, longest first', () => {
    const json = base({});
    (json['added_tokens'] as unknown[]).push({ id: 11, content: '<m><m>', special: false });
    expect(fromTokenizerJson(json).encode('a<m><m>b<m>')).toEqual([1, 11, 2, 10]);
  });

  it('lstrip and rstrip swallow the whitespace beside the token', () => {
    expect(fromTokenizerJson(base({})).encode('a <m> b')).toEqual([1, 3, 10, 3, 2]);
    expect(fromTokenizerJson(base({ lstrip: true })).encode('a <m> b')).toEqual([1, 10, 3, 2]);
    expect(fromTokenizerJson(base({ rstrip: true })).encode('a <m> b')).toEqual([1, 3, 10, 2]);
  });

  it('single_word tokens match only between non-word characters', () => {
    expect(fromTokenizerJson(base({ single_word: true })).encode('x<m>x')).toEqual([4, 0, 0, 0, 4]);
    expect(fromTokenizerJson(base({ single_word: true })).encode('x <m> x')).toEqual([4, 3, 10, 3, 4]);
  });

  it('are never produced by encodeWord', () => {
    expect(fromTokenizerJson(base({})).encodeWord('<m>')).toEqual([3, 0, 0, 0]);
  });
});

describe('post-processors', () => {
  const model = { type: 'BPE', vocab: { '[CLS]': 0, '[SEP]': 1, a: 2 }, merges: [] };

  it('TemplateProcessing adds its special tokens unless told not to', () => {
    const tok = fromTokenizerJson({
      model,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [0], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [1], tokens: ['[SEP]'] } },
      },
    });
    expect(tok.encode('aa')).toEqual([0, 2, 2, 1]);
    expect(tok.encode('aa', { addSpecialTokens: false })).toEqual([2, 2]);
  });

  it('BertProcessing and Sequence', () => {
    const bert = { type: 'BertProcessing', cls: ['[CLS]', 0], sep: ['[SEP]', 1] };
    expect(fromTokenizerJson({ model, post_processor: bert }).encode('a')).toEqual([0, 2, 1]);
    expect(fromTokenizerJson({ model, post_processor: { type: 'Sequence', processors: [{ type: 'ByteLevel' }, bert] } }).encode('a')).toEqual([0, 2, 1]);
  });
});

describe('splitText follows the tokenizers split behaviours', () => {
  // The example of the Hugging Face tokenizers documentation: "the-final--countdown" split on "-".
  const text = 'the-final--countdown';
  const dash = /-/gu;
  it.each([
    ['Removed', ['the', 'final', 'countdown']],
    ['Isolated', ['the', '-', 'final', '-', '-', 'countdown']],
    ['MergedWithPrevious', ['the-', 'final-', '-', 'countdown']],
    ['MergedWithNext', ['the', '-final', '-', '-countdown']],
    ['Contiguous', ['the', '-', 'final', '--', 'countdown']],
  ] as const)('%s', (behavior, expected) => {
    expect(splitText(text, dash, behavior)).toEqual(expected);
  });

  it('invert keeps the matches as the pieces', () => {
    expect(splitText('ab  cd', /\S+/gu, 'Removed', true)).toEqual(['ab', 'cd']);
  });
});

describe('translateRegex (Oniguruma to JavaScript)', () => {
  it('expands scoped case-insensitive groups letter by letter', () => {
    expect(translateRegex("(?i:'s|'t)|\\p{L}+")).toBe("(?:'[sS]|'[tT])|\\p{L}+");
    const re = new RegExp(translateRegex("(?i:'s|'ll)"), 'gu');
    expect("IT'S we'll WE'LL".match(re)).toEqual(["'S", "'ll", "'LL"]);
  });

  it('drops possessive markers and atomic groups, rewrites \\x{..}', () => {
    expect(translateRegex('\\s++$')).toBe('\\s+$');
    expect(translateRegex('a*+b?+')).toBe('a*b?');
    expect(translateRegex('(?>ab)')).toBe('(?:ab)');
    expect(translateRegex('\\x{41}')).toBe('\\u{41}');
    expect(translateRegex("\\'")).toBe("'");
  });

  it('rejects a character class inside (?i:...)', () => {
    expectError(() => translateRegex('(?i:[a-z])'), 'E_TOKENIZER', /character class inside a case-insensitive group/);
  });
});

describe('fromTokenizerJson rejects garbage with E_TOKENIZER', () => {
  const bpe = { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] };

  it('not JSON, not an object, no model', () => {
    expectError(() => fromTokenizerJson('{"model": '), 'E_TOKENIZER', /not valid JSON/);
    expectError(() => fromTokenizerJson('<html>404</html>'), 'E_TOKENIZER', /not valid JSON/);
    expectError(() => fromTokenizerJson([1, 2, 3]), 'E_TOKENIZER', /expected a JSON object, got an array/);
    expectError(() => fromTokenizerJson(null), 'E_TOKENIZER', /got null/);
    expectError(() => fromTokenizerJson(42), 'E_TOKENIZER', /got number/);
    expectError(() => fromTokenizerJson({}), 'E_TOKENIZER', /"model" section is missing/);
    expectError(() => fromTokenizerJson({ vocab_size: 32000, model_type: 'llama' }), 'E_TOKENIZER', /"model" section is missing/);
  });

  it('models other than BPE', () => {
    expectError(() => fromTokenizerJson({ model: { type: 'Unigram', vocab: [['a', -1]] } }), 'E_TOKENIZER', /model type "Unigram" is not supported \(supported: BPE/);
    expectError(() => fromTokenizerJson({ model: { type: 'WordPiece', vocab: { a: 0 } } }), 'E_TOKENIZER', /"WordPiece"/);
  });

  it('a malformed vocabulary or merge list', () => {
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: ['a', 'b'] } }), 'E_TOKENIZER', /model.vocab must be an object/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: { a: -1 } } }), 'E_TOKENIZER', /non-negative integer id, got -1/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: { a: 'zero' } } }), 'E_TOKENIZER', /got "zero"/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, vocab: {} } }), 'E_TOKENIZER', /model.vocab is empty/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, merges: 'a b' } }), 'E_TOKENIZER', /model.merges must be an array/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, merges: ['ab'] } }), 'E_TOKENIZER', /merges\[0\] must be "left right"/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, merges: [42] } }), 'E_TOKENIZER', /merges\[0\]/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, merges: ['a c'] } }), 'E_TOKENIZER', /merge #0 \("a" \+ "c"\) uses tokens missing from the vocabulary: "c", "ac"/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, dropout: 0.1 } }), 'E_TOKENIZER', /dropout 0.1 is not supported/);
    expectError(() => fromTokenizerJson({ model: { ...bpe, end_of_word_suffix: '</w>' } }), 'E_TOKENIZER', /end_of_word_suffix/);
  });

  it('a real file with its vocabulary removed', () => {
    const broken = { ...mistralJson(), model: { ...(mistralJson()['model'] as object), vocab: undefined } };
    expectError(() => fromTokenizerJson(broken), 'E_TOKENIZER', /model.vocab must be an object/);
  });

  it('unsupported or malformed components, listing what is supported', () => {
    expectError(() => fromTokenizerJson({ model: bpe, normalizer: { type: 'BertNormalizer' } }), 'E_TOKENIZER', /normalizer type "BertNormalizer" is not supported. Supported: Sequence, NFC/);
    expectError(() => fromTokenizerJson({ model: bpe, normalizer: { type: 'Sequence', normalizers: [{ type: 'Precompiled' }] } }), 'E_TOKENIZER', /normalizer.normalizers\[0\] type "Precompiled"/);
    expectError(() => fromTokenizerJson({ model: bpe, pre_tokenizer: { type: 'BertPreTokenizer' } }), 'E_TOKENIZER', /pre_tokenizer type "BertPreTokenizer" is not supported/);
    expectError(() => fromTokenizerJson({ model: bpe, decoder: { type: 'WordPiece' } }), 'E_TOKENIZER', /decoder type "WordPiece"/);
    expectError(() => fromTokenizerJson({ model: bpe, post_processor: { type: 'Magic' } }), 'E_TOKENIZER', /post_processor type "Magic"/);
    expectError(() => fromTokenizerJson({ model: bpe, normalizer: { prepend: '▁' } }), 'E_TOKENIZER', /normalizer has no "type"/);
    expectError(() => fromTokenizerJson({ model: bpe, normalizer: 'NFC' }), 'E_TOKENIZER', /normalizer must be an object or null/);
  });

  it('bad patterns and split behaviours', () => {
    const split = (pattern: unknown, behavior = 'Isolated'): unknown => ({ model: bpe, pre_tokenizer: { type: 'Split', pattern, behavior, invert: false } });
    expectError(() => fromTokenizerJson(split({ Regex: '(unclosed' })), 'E_TOKENIZER', /regex JavaScript cannot compile: "\(unclosed"/);
    expectError(() => fromTokenizerJson(split('\\s+')), 'E_TOKENIZER', /must be \{"String": \.\.\.\} or \{"Regex": \.\.\.\}/);
    expectError(() => fromTokenizerJson(split({ String: ' ' }, 'Sideways')), 'E_TOKENIZER', /behavior type "Sideways" is not supported/);
  });

  it('malformed added tokens and templates', () => {
    expectError(() => fromTokenizerJson({ model: bpe, added_tokens: [{ content: '<s>' }] }), 'E_TOKENIZER', /added_tokens\[0\] must have a non-negative integer "id"/);
    expectError(() => fromTokenizerJson({ model: bpe, added_tokens: { '<s>': 1 } }), 'E_TOKENIZER', /added_tokens must be an array/);
    expectError(
      () => fromTokenizerJson({ model: bpe, post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>' } }], special_tokens: {} } }),
      'E_TOKENIZER',
      /names special token "<s>" with no ids/,
    );
  });
});

describe('Tokenizer methods reject bad arguments', () => {
  const tok = fromTokenizerJson({ added_tokens: [{ id: 3, content: '<s>', special: true }], model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] } });

  it('encode and encodeWord', () => {
    expectError(() => tok.encode(undefined as unknown as string), 'E_INVALID_OPTION', /text must be a string/);
    expectError(() => tok.encodeWord(''), 'E_EMPTY_INPUT', /word is empty or blank/);
    expectError(() => tok.encodeWord('  \t'), 'E_EMPTY_INPUT');
    expectError(() => tok.encodeWord(7 as unknown as string), 'E_INVALID_OPTION', /word must be a string, got number/);
    expect(tok.encode('')).toEqual([]);
  });

  it('decode', () => {
    expect(tok.decode([])).toBe('');
    expect(tok.decode([2, 3])).toBe('ab <s>'); // no decoder: tokens joined by spaces, as in tokenizers
    expect(tok.decode([2, 3], { skipSpecialTokens: true })).toBe('ab');
    expectError(() => tok.decode([4]), 'E_TOKENIZER', /4 is not a token id of this tokenizer \(valid: integers in \[0, 4\)/);
    expectError(() => tok.decode([-1]), 'E_TOKENIZER');
    expectError(() => tok.decode([1.5]), 'E_TOKENIZER');
    expectError(() => tok.decode('ab' as unknown as number[]), 'E_INVALID_OPTION', /ids must be an array/);
    expect(tok.idToToken(99)).toBeUndefined();
    expect(tok.tokenToId('zz')).toBeUndefined();
  });
});
