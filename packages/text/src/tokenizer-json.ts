import { TokenizerLoader } from '@lenml/tokenizers';
import { ResPruneError } from '@resprune/errors';
import { checkWord, type DecodeOptions, type EncodeOptions, type Tokenizer } from './tokenizer.js';

/** Options of {@link fromTokenizerJson}. */
export interface TokenizerJsonOptions {
  /** Name used in error messages. Default: `tokenizer.json (<model type>, <n> ids)`. */
  readonly name?: string;
}

type Json = Record<string, unknown>;

/** Model types `@lenml/tokenizers` builds. */
const MODEL_TYPES: readonly string[] = ['BPE', 'Unigram', 'WordPiece'];

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(message: string, cause?: unknown): never {
  throw new ResPruneError('E_TOKENIZER', `tokenizer.json: ${message}`, cause === undefined ? {} : { cause });
}

/** Token string → id over the model vocabulary and the added tokens. */
function vocabulary(root: Json): Map<string, number> {
  const map = new Map<string, number>();
  const vocab = (root['model'] as Json)['vocab'];
  if (Array.isArray(vocab)) {
    vocab.forEach((entry: unknown, id) => map.set(Array.isArray(entry) ? String(entry[0]) : String(entry), id));
  } else if (isObject(vocab)) {
    for (const [token, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || (id as number) < 0) fail(`model.vocab["${token}"] must be a non-negative integer id, got ${JSON.stringify(id)}.`);
      map.set(token, id as number);
    }
  } else {
    fail('model.vocab must be an object (BPE, WordPiece) or an array (Unigram).');
  }
  const added = root['added_tokens'] ?? [];
  if (!Array.isArray(added)) fail('added_tokens must be an array.');
  added.forEach((t: unknown, k) => {
    if (!isObject(t) || typeof t['content'] !== 'string' || !Number.isInteger(t['id']) || (t['id'] as number) < 0) {
      fail(`added_tokens[${k}] must have a string "content" and a non-negative integer "id".`);
    }
    map.set(t['content'], t['id'] as number);
  });
  return map;
}

/**
 * Builds a {@link Tokenizer} from a Hugging Face `tokenizer.json` (the "fast tokenizer" file in every
 * model repository), parsed, as text, or as bytes. The tokenization itself is `@lenml/tokenizers`
 * (a maintained port of Hugging Face `tokenizers`/transformers.js, the same library the pipeline
 * uses): BPE with byte fallback (LLaMA, Vicuna, LLaVA, Mistral), byte-level BPE (Qwen2/2.5/3,
 * LLaMA-3, GPT-2), Unigram and WordPiece, with their normalizers, pre-tokenizers, post-processors,
 * decoders and added tokens.
 *
 * `encodeWord(word)` gives the ids of the word as it appears mid-sentence after a space (with its
 * `▁`/`Ġ` marker and no special token): it encodes `"a " + word` and drops the ids of `"a"`.
 *
 * @param json - the parsed `tokenizer.json` object, its text, or its bytes (as read from disk)
 * @param options - a display name
 * @returns the tokenizer
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when the text is not JSON, the file is not a
 *   tokenizer.json (no `model` section, a malformed vocabulary or added-token list), or the library
 *   cannot build a tokenizer from it (its message is kept as the cause)
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const tok = fromTokenizerJson(readFileSync('Qwen2.5-VL-7B-Instruct/tokenizer.json', 'utf8'));
 * tok.encodeWord('the');                    // [279]  ("Ġthe")
 * tok.encode('<|im_start|>user\nHi');        // [151644, 872, 198, 13048]
 * ```
 */
export function fromTokenizerJson(json: unknown, options: TokenizerJsonOptions = {}): Tokenizer {
  let root: unknown = json;
  if (json instanceof Uint8Array) root = new (globalThis as unknown as { TextDecoder: new () => { decode(b: Uint8Array): string } }).TextDecoder().decode(json);
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch (cause) {
      fail('the text is not valid JSON.', cause);
    }
  }
  if (!isObject(root)) fail(`expected a JSON object, got ${Array.isArray(root) ? 'an array' : root === null ? 'null' : typeof root}.`);
  if (!isObject(root['model'])) fail('the "model" section is missing: this is not a Hugging Face tokenizer.json.');
  const type = (root['model'] as Json)['type'];
  if (type !== undefined && !MODEL_TYPES.includes(type as string)) {
    fail(`model type ${JSON.stringify(type)} is not supported (supported: ${MODEL_TYPES.join(', ')}).`);
  }
  const tokenToIdMap = vocabulary(root);
  if (tokenToIdMap.size === 0) fail('model.vocab is empty.');
  let vocabSize = 0;
  for (const id of tokenToIdMap.values()) vocabSize = Math.max(vocabSize, id + 1);
  const idToTokenArr: (string | undefined)[] = new Array<string | undefined>(vocabSize);
  for (const [token, id] of tokenToIdMap) if (idToTokenArr[id] === undefined) idToTokenArr[id] = token;
  const added = (root['added_tokens'] ?? []) as { id: number; content: string; special?: boolean }[];
  for (const t of added) idToTokenArr[t.id] = t.content;
  const specialIds = new Set(added.filter((t) => t.special === true).map((t) => t.id));
  const modelType = String((root['model'] as Json)['type'] ?? 'BPE');
  const name = options.name ?? `tokenizer.json (${modelType}, ${vocabSize} ids)`;

  let tok: ReturnType<typeof TokenizerLoader.fromPreTrained>;
  try {
    // The library may fill in defaults on the object it is given: hand it a copy, with the optional
    // sections a hand-written file may leave out present as null, as tokenizers writes them.
    const copy = JSON.parse(JSON.stringify(root)) as Json;
    for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) copy[key] ??= null;
    copy['added_tokens'] ??= [];
    tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: copy as never, tokenizerConfig: {} as never });
  } catch (cause) {
    fail(`cannot build the tokenizer (${cause instanceof Error ? cause.message : String(cause)}).`, cause);
  }
  const run = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (cause) {
      throw new ResPruneError('E_TOKENIZER', `${name}.${what} failed (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
    }
  };
  const anchor = run('encodeWord', () => tok.encode('a', { add_special_tokens: false }));

  return {
    name,
    vocabSize,
    encode(text: string, opts: EncodeOptions = {}): number[] {
      if (typeof text !== 'string') throw new ResPruneError('E_INVALID_OPTION', `${name}.encode: text must be a string, got ${typeof text}.`);
      if (text === '') return opts.addSpecialTokens === false ? [] : run('encode', () => tok.encode('', { add_special_tokens: true }));
      return run('encode', () => tok.encode(text, { add_special_tokens: opts.addSpecialTokens !== false }));
    },
    encodeWord(word: string): number[] {
      const w = checkWord(word, name);
      const ids = run('encodeWord', () => tok.encode(`a ${w}`, { add_special_tokens: false }));
      const same = anchor.length < ids.length && anchor.every((v, i) => ids[i] === v);
      const out = same ? ids.slice(anchor.length) : ids;
      if (out.length === 0) throw new ResPruneError('E_TOKENIZER', `${name}: ${JSON.stringify(w)} produced no tokens.`);
      return out;
    },
    decode(ids: readonly number[], opts: DecodeOptions = {}): string {
      if (!Array.isArray(ids)) throw new ResPruneError('E_INVALID_OPTION', `${name}.decode: ids must be an array of token ids.`);
      for (const id of ids) {
        if (!Number.isInteger(id) || idToTokenArr[id] === undefined) {
          throw new ResPruneError('E_TOKENIZER', `${name}.decode: ${JSON.stringify(id)} is not a token id of this tokenizer (valid: integers in [0, ${vocabSize}) that name a token).`, {
            details: { id, vocabSize },
          });
        }
      }
      if (ids.length === 0) return '';
      // As Hugging Face tokenizers' own decode: no clean-up of spaces before punctuation.
      return run('decode', () => tok.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens === true, clean_up_tokenization_spaces: false }));
    },
    tokenToId: (token: string) => tokenToIdMap.get(token),
    idToToken: (id: number) => (Number.isInteger(id) ? idToTokenArr[id] : undefined),
    isSpecial: (id: number) => specialIds.has(id),
  };
}
