import * as tf from '@tensorflow/tfjs-core';
import { selectWith } from '@resprune/selector';
import { textVectors } from '@resprune/text';
import type { TokenSelector } from './prune.js';
import type { PipelineTokenizer } from './tokenizer.js';

/**
 * The default {@link TokenSelector}: `selectWith(method, candidates, budget + { text, alpha })` from
 * `@resprune/selector`, so every registered method (`resprune` and the peers registered with its `methods`
 * registry) works in the pipeline.
 *
 * @example
 * ```ts
 * const lvlm = await loadPipeline(dir, { selector: registrySelector });
 * ```
 */
export const registrySelector: TokenSelector = (candidates, call) => {
  return selectWith(call.method, candidates, {
    ...call.budget,
    ...(call.text === undefined ? {} : { text: call.text }),
    ...(call.alpha === undefined ? {} : { alpha: call.alpha }),
  }).kept;
};

/**
 * The default text vectors: the prompt's nouns (content words when it has none) through `@resprune/text`, each
 * word's token pieces from the checkpoint's tokenizer averaged over the rows of the model's own embedding table.
 *
 * @param prompt - the user's prompt (without chat-template markup)
 * @param tokenizer - the checkpoint's tokenizer
 * @param embedTable - `[vocab, hidden]` input embeddings
 * @returns `[words, hidden]` (caller owns), or undefined when the prompt has no usable word
 * @example
 * ```ts
 * const t = promptTextVectors('What is the dog doing?', lvlm.tokenizer, embed); // 1 row: "dog"
 * ```
 */
export function promptTextVectors(prompt: string, tokenizer: PipelineTokenizer, embedTable: tf.Tensor2D): tf.Tensor2D | undefined {
  const tv = textVectors(prompt, {
    tokenizer: { name: 'checkpoint tokenizer', vocabSize: tokenizer.vocabSize, encodeWord: (w) => tokenizer.encodeWord(w) },
    embeddings: embedTable,
  });
  if (tv.m === 0) return undefined;
  return tf.tensor2d(tv.vectors, [tv.m, embedTable.shape[1]]);
}
