import { ResPruneError } from '@resprune/errors';

/**
 * The one thing the text side needs from a tokenizer: the token ids of a single word as it
 * appears mid-sentence, preceded by a space, so with the vocabulary's leading-space marker
 * (SentencePiece `▁` for LLaMA, Vicuna and Mistral; byte-level `Ġ` for Qwen). No BOS, EOS or other
 * special token is ever added.
 *
 * Implement it to plug in any tokenizer; {@link fromTokenizerJson} and {@link fromLlamaTokenizerJs}
 * are the adapters shipped here.
 *
 * @example
 * ```ts
 * const tok: WordTokenizer = fromLlamaTokenizerJs(llamaTokenizer);
 * tok.encodeWord('the'); // [278]  ("▁the" in LLaMA-2's vocabulary)
 * ```
 */
export interface WordTokenizer {
  /** A short human-readable name, used in error messages. */
  readonly name: string;
  /** Number of ids the tokenizer can produce (largest id + 1), when known. */
  readonly vocabSize?: number;
  /**
   * Token ids of `word` as it appears after a space in a sentence.
   *
   * @param word - one word (surrounding whitespace is ignored)
   * @returns at least one id, with no special tokens
   */
  encodeWord(word: string): number[];
}

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /**
   * Add the special tokens of the tokenizer's post-processor (LLaMA's BOS `<s>`; none for Qwen).
   * Default `true`, as in Hugging Face `tokenizers`.
   */
  readonly addSpecialTokens?: boolean;
}

/** Options of {@link Tokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, `<|im_start|>`, ...) from the text. Default `false`. */
  readonly skipSpecialTokens?: boolean;
}

/**
 * A general text tokenizer: full-text encoding and decoding plus the word encoding of
 * {@link WordTokenizer}. Built from a Hugging Face `tokenizer.json` by {@link fromTokenizerJson}.
 *
 * @example
 * ```ts
 * const tok: Tokenizer = fromTokenizerJson(json);
 * const ids = tok.encode('Hello world', { addSpecialTokens: false });
 * tok.decode(ids); // 'Hello world'
 * ```
 */
export interface Tokenizer extends WordTokenizer {
  /** Number of ids (largest id in the vocabulary or the added tokens, + 1). */
  readonly vocabSize: number;
  /**
   * Token ids of a text, through the whole pipeline: added-token split, normalizer,
   * pre-tokenizer, model, post-processor.
   *
   * @param text - any text; special tokens written in it (such as `<|im_start|>`) become their ids
   * @param options - whether to add the post-processor's special tokens
   * @returns the ids
   */
  encode(text: string, options?: EncodeOptions): number[];
  /**
   * Text of a sequence of ids, through the tokenizer's decoder.
   *
   * @param ids - token ids, each in `[0, vocabSize)`
   * @param options - whether to drop special tokens
   * @returns the text
   */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** Id of a token string (vocabulary or added token), or `undefined`. */
  tokenToId(token: string): number | undefined;
  /** Token string of an id, or `undefined` when the id is unused. */
  idToToken(id: number): string | undefined;
  /** Whether an id is a special added token (BOS, EOS, chat markers, ...). */
  isSpecial(id: number): boolean;
}

/**
 * The part of `llama-tokenizer-js` (its default export, or a `LlamaTokenizer` instance) that
 * {@link fromLlamaTokenizerJs} uses. The package itself is not a dependency: pass its object in.
 */
export interface LlamaTokenizerJsLike {
  /** `encode(prompt, addBosToken, addPrecedingSpace)` as in llama-tokenizer-js 1.x. */
  encode(prompt: string, addBosToken?: boolean, addPrecedingSpace?: boolean, logPerformance?: boolean): number[];
  /** The vocabulary by id (32000 entries for LLaMA-1/2). */
  readonly vocabById?: readonly string[];
}

/** Options of {@link fromLlamaTokenizerJs}. */
export interface LlamaTokenizerJsOptions {
  /** Name used in error messages. Default `'llama-tokenizer-js'`. */
  readonly name?: string;
}

/** Checks and trims a word for `encodeWord`. */
export function checkWord(word: unknown, name: string): string {
  if (typeof word !== 'string') {
    throw new ResPruneError('E_INVALID_OPTION', `${name}.encodeWord: word must be a string, got ${typeof word}.`);
  }
  const trimmed = word.trim();
  if (trimmed === '') {
    throw new ResPruneError('E_EMPTY_INPUT', `${name}.encodeWord: word is empty or blank; pass one word such as "dog".`);
  }
  return trimmed;
}

/**
 * Wraps `llama-tokenizer-js` (LLaMA-1/2 vocabulary of 32000 ids, as used by Vicuna and
 * LLaVA-1.5) as a {@link WordTokenizer}. A word is encoded with the SentencePiece dummy prefix and
 * without BOS, which is how it is tokenized after a space mid-sentence: `"the"` gives `[278]`
 * (`▁the`).
 *
 * @param tokenizer - the default export of `llama-tokenizer-js`, or an instance of its class
 * @param options - a display name
 * @returns a word tokenizer with `vocabSize` taken from `vocabById` (32000 for LLaMA-2)
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when `tokenizer` has no `encode` function, or when
 *   `encodeWord` gets ids that are not non-negative integers
 * @example
 * ```ts
 * import llamaTokenizer from 'llama-tokenizer-js';
 * const tok = fromLlamaTokenizerJs(llamaTokenizer);
 * tok.encodeWord('bicycle'); // [289, 4245, 2841]  (▁b, icy, cle)
 * ```
 */
export function fromLlamaTokenizerJs(tokenizer: LlamaTokenizerJsLike, options: LlamaTokenizerJsOptions = {}): WordTokenizer {
  if (typeof tokenizer !== 'object' || tokenizer === null || typeof tokenizer.encode !== 'function') {
    throw new ResPruneError(
      'E_TOKENIZER',
      'fromLlamaTokenizerJs: expected the llama-tokenizer-js tokenizer object (with an encode(prompt, addBos, addPrecedingSpace) method).',
    );
  }
  const name = options.name ?? 'llama-tokenizer-js';
  const vocabSize = Array.isArray(tokenizer.vocabById) ? tokenizer.vocabById.length : undefined;
  return {
    name,
    ...(vocabSize === undefined ? {} : { vocabSize }),
    encodeWord(word: string): number[] {
      const w = checkWord(word, name);
      // llama-tokenizer-js replaces spaces by ▁; addPrecedingSpace gives the leading ▁ of a word
      // that follows a space, addBos false keeps <s> out.
      const ids = tokenizer.encode(w, false, true, false);
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
        throw new ResPruneError('E_TOKENIZER', `${name}: encoding ${JSON.stringify(w)} gave ${JSON.stringify(ids)}, not a list of token ids.`);
      }
      return ids;
    },
  };
}
