/**
 * The text side of ResPrune: prompt → nouns (part-of-speech tagging with wink-nlp) → the method's
 * fallbacks (content words, then no conditioning) → token ids through the backbone's own
 * tokenizer → averaged rows of the LLM input-embedding table → text vectors T `[m, d]`.
 *
 * @example
 * ```ts
 * import { fromTokenizerJson, textVectors } from '@resprune/text';
 * const tokenizer = fromTokenizerJson(readFileSync('model/tokenizer.json', 'utf8'));
 * const T = textVectors('What is the dog doing next to the bicycle?', {
 *   tokenizer,
 *   embeddings: { data: embedTokens, vocabSize: 152064, d: 3584, dtype: 'bfloat16' },
 * });
 * // T.words = ['dog', 'bicycle'], T.vectors is [2, 3584] row-major
 * ```
 * @packageDocumentation
 */

export { extractContentWords, extractKeywords, extractNouns, type KeywordSource, type Keywords } from './keywords.js';
export {
  fromLlamaTokenizerJs,
  type DecodeOptions,
  type EncodeOptions,
  type LlamaTokenizerJsLike,
  type LlamaTokenizerJsOptions,
  type Tokenizer,
  type WordTokenizer,
} from './tokenizer.js';
export { fromTokenizerJson, type TokenizerJsonOptions } from './tokenizer-json.js';
export { type EmbeddingDtype, type EmbeddingLookup, type EmbeddingSource, type EmbeddingTable } from './embeddings.js';
export { embedWords, textVectors, type TextVectors, type TextVectorsOptions, type WordVectors } from './text-vectors.js';
