/**
 * Prompt nouns to text vectors in an LLM's input-embedding space: POS tagging, tokenizer, embedding rows.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/text';
