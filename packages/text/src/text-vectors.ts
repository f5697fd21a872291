import { ResPruneError, isResPruneError } from '@resprune/errors';
import { rowReader, type EmbeddingSource } from './embeddings.js';
import { extractKeywords, type KeywordSource } from './keywords.js';
import type { WordTokenizer } from './tokenizer.js';

/** Options of {@link textVectors} and {@link embedWords}. */
export interface TextVectorsOptions {
  /** The backbone's own tokenizer (LLaVA-1.5: LLaMA-2/Vicuna; Qwen2.5-VL: Qwen2). */
  readonly tokenizer: WordTokenizer;
  /** The backbone LLM's input-embedding table, or a way to read its rows. */
  readonly embeddings: EmbeddingSource;
}

/** Text vectors of a list of words: T with one row per word. */
export interface WordVectors {
  /** The words, one per row of `vectors`. */
  readonly words: string[];
  /** Token ids of each word (`ids[m]` are the pieces averaged into row m). */
  readonly ids: number[][];
  /** T, row-major `[m, d]`: row m is the mean of the embedding rows of `ids[m]`. */
  readonly vectors: Float32Array;
  /** Number of rows (words). */
  readonly m: number;
  /**
   * Row length (the LLM hidden size). Known from a table or tensor even when `m` is 0; 0 when
   * `m` is 0 and the embeddings are a lookup function (no row was read).
   */
  readonly d: number;
}

/** Text vectors of a prompt: {@link WordVectors} plus where the words came from. */
export interface TextVectors extends WordVectors {
  /** `'nouns'`, `'content-words'` (no noun in the prompt) or `'none'` (no conditioning, m = 0). */
  readonly source: KeywordSource;
}

function checkTokenizer(tokenizer: unknown): asserts tokenizer is WordTokenizer {
  if (typeof tokenizer !== 'object' || tokenizer === null || typeof (tokenizer as WordTokenizer).encodeWord !== 'function') {
    throw new ResPruneError(
      'E_TOKENIZER',
      'textVectors: options.tokenizer is missing or has no encodeWord(word) method; pass fromTokenizerJson(json) or fromLlamaTokenizerJs(tok).',
    );
  }
}

/**
 * Embeds a list of words: each word goes through `tokenizer.encodeWord` (its mid-sentence form,
 * with the leading-space marker), its pieces' embedding rows are looked up and averaged (in
 * float64, stored as float32) into one vector. One row per word, in the given order.
 *
 * @param words - the words, used as given (no de-duplication here)
 * @param options - the tokenizer and the embedding table
 * @returns T `[m, d]` with the words and their ids
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when the tokenizer is missing, returns no ids or
 *   non-integer ids for a word, or an id beyond the embedding table (`details.id`,
 *   `details.vocabSize`: tokenizer and table of different models); `E_NON_FINITE` when a looked-up
 *   row holds NaN or ±Infinity; `E_SHAPE_MISMATCH`, `E_DTYPE`, `E_INVALID_OPTION` for a malformed
 *   embedding source; `E_EMPTY_INPUT` for an empty word
 * @example
 * ```ts
 * const { vectors, m, d } = embedWords(['dog', 'bicycle'], { tokenizer, embeddings });
 * // m = 2; vectors.subarray(d, 2 * d) is the mean of the rows of ▁b, icy, cle (LLaMA-2)
 * ```
 */
export function embedWords(words: readonly string[], options: TextVectorsOptions): WordVectors {
  if (!Array.isArray(words)) throw new ResPruneError('E_INVALID_OPTION', 'embedWords: words must be an array of strings.');
  if (typeof options !== 'object' || options === null) {
    throw new ResPruneError('E_INVALID_OPTION', 'textVectors: options { tokenizer, embeddings } are required.');
  }
  const { tokenizer, embeddings } = options;
  checkTokenizer(tokenizer);
  const reader = rowReader(embeddings);
  const name = typeof tokenizer.name === 'string' ? tokenizer.name : 'tokenizer';

  const ids = words.map((word) => {
    const pieces: unknown = tokenizer.encodeWord(word);
    if (!Array.isArray(pieces) || pieces.length === 0) {
      throw new ResPruneError('E_TOKENIZER', `textVectors: ${name} gave no token ids for ${JSON.stringify(word)}.`, { details: { word } });
    }
    for (const id of pieces) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new ResPruneError('E_TOKENIZER', `textVectors: ${name} gave ${JSON.stringify(id)} for ${JSON.stringify(word)}, not a token id.`, {
          details: { word, id },
        });
      }
      if (reader.vocabSize !== undefined && id >= reader.vocabSize) {
        throw new ResPruneError(
          'E_TOKENIZER',
          `textVectors: ${name} gave id ${id} for ${JSON.stringify(word)}, but the embedding table has ${reader.vocabSize} rows (ids 0..${reader.vocabSize - 1}). Do the tokenizer and the embeddings belong to the same model?`,
          { details: { word, id, vocabSize: reader.vocabSize } },
        );
      }
    }
    return pieces as number[];
  });

  // Read every distinct id once (one gather for a tensor table).
  const unique = [...new Set(ids.flat())];
  let rows: Float32Array[];
  try {
    rows = reader.rows(unique);
  } catch (cause) {
    if (isResPruneError(cause) || typeof embeddings === 'function') throw cause;
    throw new ResPruneError('E_INVALID_OPTION', `textVectors: reading embedding rows failed: ${String(cause)}`, { cause });
  }
  const rowOf = new Map(unique.map((id, i) => [id, rows[i]!]));
  for (const [id, row] of rowOf) {
    for (let k = 0; k < row.length; k++) {
      if (!Number.isFinite(row[k]!)) {
        const word = words[ids.findIndex((p) => p.includes(id))];
        throw new ResPruneError(
          'E_NON_FINITE',
          `textVectors: embedding row ${id} (a piece of ${JSON.stringify(word)}) has ${row[k]} at column ${k}; the embedding table is corrupt or was decoded with the wrong dtype.`,
          { details: { id, column: k, word } },
        );
      }
    }
  }

  const d = reader.d ?? 0;
  const m = words.length;
  const vectors = new Float32Array(m * d);
  const acc = new Float64Array(d);
  ids.forEach((pieces, w) => {
    acc.fill(0);
    for (const id of pieces) {
      const row = rowOf.get(id)!;
      for (let k = 0; k < d; k++) acc[k] = acc[k]! + row[k]!;
    }
    const out = vectors.subarray(w * d, (w + 1) * d);
    for (let k = 0; k < d; k++) out[k] = acc[k]! / pieces.length;
  });
  return { words: [...words], ids, vectors, m, d };
}

/**
 * The text side of the method, end to end: the prompt's keywords ({@link extractKeywords}: nouns,
 * else content words, else none), each mapped to token ids by the backbone's tokenizer and
 * averaged over the LLM input-embedding rows into one vector. The result T `[m, d]` is what the
 * selector compares, by cosine, with the projected visual tokens. An empty prompt, or one with no
 * usable word, gives `m = 0` and `source: 'none'`: no text conditioning (r = 1), not an error.
 *
 * @param prompt - the user's question or instruction, without chat-template markup
 * @param options - the backbone's tokenizer and its input-embedding table
 * @returns the words, their ids, T as a row-major Float32Array `[m, d]`, and the keyword source
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when `prompt` is not a string, plus everything
 *   {@link embedWords} throws (`E_TOKENIZER` for ids beyond the table, `E_NON_FINITE` for NaN rows,
 *   `E_SHAPE_MISMATCH`/`E_DTYPE` for a malformed table)
 * @example
 * ```ts
 * import llamaTokenizer from 'llama-tokenizer-js';
 * const T = textVectors('What is the dog doing next to the bicycle?', {
 *   tokenizer: fromLlamaTokenizerJs(llamaTokenizer),
 *   embeddings: { data: embedTokens, vocabSize: 32064, d: 4096, dtype: 'float16' },
 * });
 * // T.words = ['dog', 'bicycle'], T.ids = [[11203], [289, 4245, 2841]], T.m = 2, T.d = 4096
 * ```
 */
export function textVectors(prompt: string, options: TextVectorsOptions): TextVectors {
  const { words, source } = extractKeywords(prompt);
  return { ...embedWords(words, options), source };
}
