import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { TokenizerLoader } from '@lenml/tokenizers';
import { ResPruneError } from '@resprune/errors';
import { readCheckpointText } from './checkpoint.js';

/**
 * What the pipeline needs from a tokenizer. {@link loadCheckpointTokenizer} builds one from the checkpoint's
 * `tokenizer.json` and `tokenizer_config.json` (with `@lenml/tokenizers`, a port of Hugging Face tokenizers).
 */
export interface PipelineTokenizer {
  /** Ids of a text; `addSpecialTokens` runs the post-processor (LLaMA's BOS). */
  encode(text: string, addSpecialTokens: boolean): number[];
  /** Text of ids; special tokens are skipped. */
  decode(ids: readonly number[]): string;
  /** Ids of one word as it appears mid-sentence after a space, without special tokens. */
  encodeWord(word: string): number[];
  /** Id of a token string, if any. */
  tokenToId(token: string): number | undefined;
  /** BOS token string (`<s>`), if any. */
  readonly bosToken: string | undefined;
  /** EOS token string (`</s>`), if any. */
  readonly eosToken: string | undefined;
  /** EOS id, if any. */
  readonly eosTokenId: number | undefined;
  /** Vocabulary size including added tokens. */
  readonly vocabSize: number;
}

/** A tokenizer plus the chat template of a checkpoint. */
export interface CheckpointTokenizer {
  /** The tokenizer. */
  readonly tokenizer: PipelineTokenizer;
  /** Jinja source of the chat template, or undefined when the checkpoint has none. */
  readonly chatTemplate: string | undefined;
  /** Where the template came from (`chat_template.json`, `chat_template.jinja`, `tokenizer_config.json`). */
  readonly chatTemplateSource: string | undefined;
}

function tokString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

function readJsonOr(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  const text = readCheckpointText(file); // regular files only, bounded (E_FILE_NOT_FOUND / E_LIMIT)
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new ResPruneError('E_TOKENIZER', `${file}: not valid JSON.`, { cause, details: { file } });
  }
}

/**
 * Builds a {@link PipelineTokenizer} from parsed `tokenizer.json` and `tokenizer_config.json` objects.
 *
 * @param tokenizerJson - parsed tokenizer.json
 * @param tokenizerConfig - parsed tokenizer_config.json
 * @param name - label for error messages
 * @returns the tokenizer
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when the files cannot be turned into a tokenizer
 * @example
 * ```ts
 * const tok = tokenizerFromJson(json, config);
 * tok.encode('USER: hi', true); // [1, 3148, 1001, 29901, 7251]
 * ```
 */
export function tokenizerFromJson(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>, name = 'tokenizer.json'): PipelineTokenizer {
  if (tokenizerJson === null || typeof tokenizerJson !== 'object' || typeof (tokenizerJson as { model?: unknown }).model !== 'object') {
    throw new ResPruneError('E_TOKENIZER', `${name}: not a Hugging Face tokenizer.json (no "model" object).`, { details: { file: name } });
  }
  // Any failure of the tokenizer library on a malformed file (at build time or on first use) is a
  // typed E_TOKENIZER naming the file, never a TypeError from inside it.
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (cause) {
      if (cause instanceof ResPruneError) throw cause;
      throw new ResPruneError('E_TOKENIZER', `${name}: ${what} (${(cause as Error)?.message ?? String(cause)}).`, { cause, details: { file: name } });
    }
  };
  return guard('cannot build the tokenizer', () => buildTokenizer(tokenizerJson as Record<string, unknown>, tokenizerConfig, guard));
}

function buildTokenizer(
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
  guard: <T>(what: string, fn: () => T) => T,
): PipelineTokenizer {
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: tokenizerJson as never, tokenizerConfig: tokenizerConfig as never });
  const bosToken = tokString(tokenizerConfig['bos_token']);
  const eosToken = tokString(tokenizerConfig['eos_token']);
  const model = (tokenizerJson as { model: { vocab?: unknown } }).model;
  const vocab = model.vocab;
  const vocabMap = new Map<string, number>();
  if (Array.isArray(vocab)) vocab.forEach((v: unknown, i) => vocabMap.set(Array.isArray(v) ? String(v[0]) : String(v), i));
  else if (vocab !== null && typeof vocab === 'object') for (const [k, v] of Object.entries(vocab)) vocabMap.set(k, v as number);
  const added = ((tokenizerJson as { added_tokens?: { id: number; content: string }[] }).added_tokens ?? []);
  for (const a of added) vocabMap.set(a.content, a.id);
  let vocabSize = 0;
  for (const id of vocabMap.values()) vocabSize = Math.max(vocabSize, id + 1);
  const tokenToId = (t: string): number | undefined => vocabMap.get(t);
  // A word mid-sentence: encode "a <word>" and drop the ids of "a", so the word carries its leading-space marker.
  const anchor = tok.encode('a', { add_special_tokens: false });
  tok.encode('a', { add_special_tokens: true }); // a malformed post-processor fails here, at load time
  return {
    encode: (text, addSpecialTokens) => guard('cannot encode', () => tok.encode(text, { add_special_tokens: addSpecialTokens })),
    decode: (ids) => (ids.length === 0 ? '' : guard('cannot decode', () => tok.decode([...ids], { skip_special_tokens: true }))),
    encodeWord: (word) => {
      const ids = guard('cannot encode', () => tok.encode(`a ${word.trim()}`, { add_special_tokens: false }));
      const same = anchor.every((v: number, i: number) => ids[i] === v);
      return same ? ids.slice(anchor.length) : ids;
    },
    tokenToId,
    bosToken,
    eosToken,
    eosTokenId: eosToken === undefined ? undefined : tokenToId(eosToken),
    vocabSize,
  };
}

/**
 * Loads the tokenizer and chat template of a checkpoint directory: `tokenizer.json` + `tokenizer_config.json`,
 * and the template from `chat_template.json` (processor), `chat_template.jinja`, or `tokenizer_config.json`'s
 * `chat_template`, in that order.
 *
 * @param dir - checkpoint directory
 * @returns tokenizer and template
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when `tokenizer.json` is missing or malformed
 * @example
 * ```ts
 * const { tokenizer, chatTemplate } = loadCheckpointTokenizer('llava-1.5-7b-hf');
 * ```
 */
export function loadCheckpointTokenizer(dir: string): CheckpointTokenizer {
  const tjPath = join(dir, 'tokenizer.json');
  const tj = readJsonOr(tjPath);
  if (tj === undefined) {
    throw new ResPruneError('E_TOKENIZER', `${tjPath}: missing; the pipeline needs the fast tokenizer file (tokenizer.json).`, { details: { file: tjPath } });
  }
  const tc = readJsonOr(join(dir, 'tokenizer_config.json')) ?? {};
  const tokenizer = tokenizerFromJson(tj, tc, tjPath);
  let chatTemplate: string | undefined;
  let chatTemplateSource: string | undefined;
  const ctJson = readJsonOr(join(dir, 'chat_template.json'));
  const jinjaPath = join(dir, 'chat_template.jinja');
  if (typeof ctJson?.['chat_template'] === 'string') {
    chatTemplate = ctJson['chat_template'];
    chatTemplateSource = 'chat_template.json';
  } else if (existsSync(jinjaPath)) {
    chatTemplate = readCheckpointText(jinjaPath);
    chatTemplateSource = 'chat_template.jinja';
  } else if (typeof tc['chat_template'] === 'string') {
    chatTemplate = tc['chat_template'];
    chatTemplateSource = 'tokenizer_config.json';
  }
  return { tokenizer, chatTemplate, chatTemplateSource };
}

/**
 * Renders a user turn with images through a chat template (Jinja, via `@huggingface/jinja`). The message is
 * `{ role: 'user', content: [{ type: 'image' } × images, { type: 'text', text }] }`, with `add_generation_prompt: true`,
 * as `processor.apply_chat_template` does in transformers.
 *
 * @param template - Jinja source
 * @param prompt - the user's text
 * @param tokens - `bos_token` / `eos_token` strings to expose to the template
 * @param images - image parts before the text (default 1)
 * @returns the rendered prompt, containing one image placeholder per image
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when the template fails to parse or render
 * @example
 * ```ts
 * renderChatPrompt(tpl, 'What is shown?', {}); // 'USER: <image>\nWhat is shown? ASSISTANT:'
 * ```
 */
export function renderChatPrompt(
  template: string,
  prompt: string,
  tokens: { bosToken?: string | undefined; eosToken?: string | undefined },
  images = 1,
): string {
  try {
    const t = new Template(template);
    return t.render({
      messages: [{ role: 'user', content: [...Array.from({ length: images }, () => ({ type: 'image' })), { type: 'text', text: prompt }] }],
      add_generation_prompt: true,
      bos_token: tokens.bosToken ?? '',
      eos_token: tokens.eosToken ?? '',
    });
  } catch (cause) {
    throw new ResPruneError('E_TOKENIZER', `chat template failed: ${(cause as Error).message}`, { cause });
  }
}
