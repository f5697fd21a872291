import { ResPruneError } from '@resprune/errors';
import { BpeModel } from './bpe.js';
import { fromByteLevel, toByteLevel } from './byte-level.js';
import { compilePattern } from './regex.js';
import { utf8DecodeLossy, utf8DecodeStrict, utf8Encode } from './utf8.js';
import { checkWord, type DecodeOptions, type EncodeOptions, type Tokenizer } from './tokenizer.js';

/** Options of {@link fromTokenizerJson}. */
export interface TokenizerJsonOptions {
  /** Name used in error messages. Default: a description such as `tokenizer.json (BPE, 151669 ids)`. */
  readonly name?: string;
}

type Json = Record<string, unknown>;

/** Where a piece of text sits. */
interface Position {
  /** The piece starts at offset 0 of the original text (Metaspace `prepend_scheme: "first"`). */
  readonly atStart: boolean;
  /** The piece is one word in the middle of a sentence (`encodeWord`): no segment-start steps. */
  readonly word: boolean;
}

type Normalizer = (text: string, pos: Position) => string;
type PreTokenizer = (pieces: string[], pos: Position) => string[];
type PostProcessor = (ids: number[]) => number[];
type Decoder = (tokens: string[]) => string[];

function fail(message: string, details?: Record<string, unknown>): never {
  throw new ResPruneError('E_TOKENIZER', `tokenizer.json: ${message}`, details === undefined ? {} : { details });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(section: Json, where: string): string {
  const t = section['type'];
  if (typeof t !== 'string') fail(`${where} has no "type".`);
  return t;
}

function unsupported(where: string, type: string, supported: readonly string[]): never {
  fail(`${where} type "${type}" is not supported. Supported: ${supported.join(', ')}.`, { where, type });
}

function bool(section: Json, key: string, fallback: boolean): boolean {
  const v = section[key];
  return typeof v === 'boolean' ? v : fallback;
}

/** A Metaspace section's prepend scheme: `prepend_scheme`, or the older `add_prefix_space` flag (default on). */
function metaspaceScheme(section: Json): string {
  const v = section['prepend_scheme'];
  if (typeof v === 'string') return v;
  return bool(section, 'add_prefix_space', true) ? 'always' : 'never';
}

function str(section: Json, key: string, where: string): string {
  const v = section[key];
  if (typeof v !== 'string') fail(`${where}.${key} must be a string, got ${JSON.stringify(v)}.`);
  return v;
}

function arr(section: Json, key: string, where: string): unknown[] {
  const v = section[key];
  if (!Array.isArray(v)) fail(`${where}.${key} must be an array.`);
  return v;
}

function replaceAll(text: string, pattern: RegExp, content: string): string {
  pattern.lastIndex = 0;
  return text.replace(pattern, () => content);
}

// ---------------------------------------------------------------------------------------------
// Normalizers

const NORMALIZERS = ['Sequence', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'Prepend', 'Replace', 'Strip'] as const;

function buildNormalizer(section: unknown, where = 'normalizer'): Normalizer {
  if (section === null || section === undefined) return (t) => t;
  if (!isObject(section)) fail(`${where} must be an object or null.`);
  const type = typeOf(section, where);
  switch (type) {
    case 'Sequence': {
      const parts = arr(section, 'normalizers', where).map((s, i) => buildNormalizer(s, `${where}.normalizers[${i}]`));
      return (t, pos) => parts.reduce((acc, f) => f(acc, pos), t);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (t) => t.normalize(type);
    case 'Lowercase':
      return (t) => t.toLowerCase();
    case 'Prepend': {
      // SentencePiece's dummy prefix. Like Hugging Face tokenizers, it is applied to every text
      // segment between added tokens; a word in the middle of a sentence gets none.
      const prepend = str(section, 'prepend', where);
      return (t, pos) => (!pos.word && t !== '' ? prepend + t : t);
    }
    case 'Replace': {
      const pattern = compilePattern(section['pattern'], `${where}.pattern`);
      const content = str(section, 'content', where);
      return (t) => replaceAll(t, pattern, content);
    }
    case 'Strip': {
      const left = bool(section, 'strip_left', true);
      const right = bool(section, 'strip_right', true);
      // Stripping acts at the ends of each segment; a word mid-sentence keeps its leading space.
      return (t, pos) => {
        if (pos.word) return t;
        let s = t;
        if (left) s = s.trimStart();
        if (right) s = s.trimEnd();
        return s;
      };
    }
    default:
      return unsupported(where, type, NORMALIZERS);
  }
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenizers

const PRE_TOKENIZERS = ['Sequence', 'Split', 'ByteLevel', 'Metaspace', 'Digits', 'Whitespace', 'WhitespaceSplit'] as const;
const SPLIT_BEHAVIORS = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'] as const;
type SplitBehavior = (typeof SPLIT_BEHAVIORS)[number];

/** The members of Rust's Unicode `\w` class, for use inside a character class. */
const UNICODE_WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';

/** GPT-2's pre-tokenization regex, used by ByteLevel when `use_regex` is true. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Splits `text` around the matches of `pattern` following a `tokenizers` split behavior. */
export function splitText(text: string, pattern: RegExp, behavior: SplitBehavior, invert = false): string[] {
  const segments: { text: string; delim: boolean }[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0] === '') {
      pattern.lastIndex++;
      continue;
    }
    if (m.index > last) segments.push({ text: text.slice(last, m.index), delim: invert });
    segments.push({ text: m[0], delim: !invert });
    last = m.index + m[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), delim: invert });

  const out: string[] = [];
  switch (behavior) {
    case 'Removed':
      for (const s of segments) if (!s.delim) out.push(s.text);
      break;
    case 'Isolated':
      for (const s of segments) out.push(s.text);
      break;
    case 'MergedWithPrevious': {
      let cur = '';
      for (const s of segments) {
        cur += s.text;
        if (s.delim) {
          out.push(cur);
          cur = '';
        }
      }
      if (cur !== '') out.push(cur);
      break;
    }
    case 'MergedWithNext': {
      let cur = '';
      for (const s of segments) {
        if (s.delim && cur !== '') {
          out.push(cur);
          cur = '';
        }
        cur += s.text;
      }
      if (cur !== '') out.push(cur);
      break;
    }
    case 'Contiguous': {
      let prevDelim = false;
      for (const s of segments) {
        if (s.delim && prevDelim) out[out.length - 1] += s.text;
        else out.push(s.text);
        prevDelim = s.delim;
      }
      break;
    }
  }
  return out.filter((p) => p !== '');
}

function buildPreTokenizer(section: unknown, where = 'pre_tokenizer'): PreTokenizer {
  if (section === null || section === undefined) return (pieces) => pieces;
  if (!isObject(section)) fail(`${where} must be an object or null.`);
  const type = typeOf(section, where);
  const perPiece = (f: (piece: string, pos: Position) => string[]): PreTokenizer => {
    return (pieces, pos) => pieces.flatMap((p, i) => f(p, { atStart: pos.atStart && i === 0, word: pos.word }));
  };
  switch (type) {
    case 'Sequence': {
      const parts = arr(section, 'pretokenizers', where).map((s, i) => buildPreTokenizer(s, `${where}.pretokenizers[${i}]`));
      return (pieces, pos) => parts.reduce((acc, f) => f(acc, pos), pieces);
    }
    case 'Split': {
      const pattern = compilePattern(section['pattern'], `${where}.pattern`);
      const behavior = str(section, 'behavior', where);
      if (!(SPLIT_BEHAVIORS as readonly string[]).includes(behavior)) unsupported(`${where}.behavior`, behavior, SPLIT_BEHAVIORS);
      const invert = bool(section, 'invert', false);
      return perPiece((p) => splitText(p, pattern, behavior as SplitBehavior, invert));
    }
    case 'ByteLevel': {
      const addPrefixSpace = bool(section, 'add_prefix_space', true);
      const useRegex = bool(section, 'use_regex', true);
      return perPiece((p) => {
        const text = addPrefixSpace && !p.startsWith(' ') ? ' ' + p : p;
        const parts = useRegex ? splitText(text, GPT2_PATTERN, 'Isolated') : [text];
        return parts.map(toByteLevel);
      });
    }
    case 'Metaspace': {
      const replacement = str(section, 'replacement', where);
      const scheme = metaspaceScheme(section);
      if (!['always', 'first', 'never'].includes(scheme)) unsupported(`${where}.prepend_scheme`, scheme, ['always', 'first', 'never']);
      const split = bool(section, 'split', true);
      const marker = new RegExp(replacement.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'), 'gu');
      return perPiece((p, pos) => {
        let text = p.replaceAll(' ', replacement);
        const prepend = scheme === 'always' || (scheme === 'first' && pos.atStart);
        if (prepend && !text.startsWith(replacement)) text = replacement + text;
        return split ? splitText(text, marker, 'MergedWithNext') : [text];
      });
    }
    case 'Digits': {
      const pattern = bool(section, 'individual_digits', false) ? /\p{N}/gu : /\p{N}+/gu;
      return perPiece((p) => splitText(p, pattern, 'Isolated'));
    }
    case 'Whitespace': {
      // `\w+|[^\w\s]+` with Rust's Unicode-aware \w (JavaScript's \w is ASCII-only, even in u mode).
      const pattern = new RegExp(`[${UNICODE_WORD}]+|[^${UNICODE_WORD}\\s]+`, 'gu');
      return perPiece((p) => p.match(pattern) ?? []);
    }
    case 'WhitespaceSplit':
      return perPiece((p) => splitText(p, /\s+/gu, 'Removed'));
    default:
      return unsupported(where, type, PRE_TOKENIZERS);
  }
}

// ---------------------------------------------------------------------------------------------
// Post-processors

const POST_PROCESSORS = ['TemplateProcessing', 'ByteLevel', 'BertProcessing', 'RobertaProcessing', 'Sequence'] as const;

function buildPostProcessor(section: unknown, where = 'post_processor'): PostProcessor {
  if (section === null || section === undefined) return (ids) => ids;
  if (!isObject(section)) fail(`${where} must be an object or null.`);
  const type = typeOf(section, where);
  switch (type) {
    case 'Sequence': {
      const parts = arr(section, 'processors', where).map((s, i) => buildPostProcessor(s, `${where}.processors[${i}]`));
      return (ids) => parts.reduce((acc, f) => f(acc), ids);
    }
    case 'ByteLevel':
      return (ids) => ids;
    case 'TemplateProcessing': {
      const specials = section['special_tokens'];
      const single = arr(section, 'single', where);
      const steps: (number[] | 'A')[] = single.map((item, i) => {
        if (isObject(item) && isObject(item['Sequence'])) return 'A';
        if (isObject(item) && isObject(item['SpecialToken'])) {
          const id = item['SpecialToken']['id'];
          const entry = isObject(specials) && typeof id === 'string' ? specials[id] : undefined;
          const ids = isObject(entry) ? entry['ids'] : undefined;
          if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
            fail(`${where}.single[${i}] names special token ${JSON.stringify(id)} with no ids in special_tokens.`);
          }
          return ids as number[];
        }
        return fail(`${where}.single[${i}] must be {"Sequence": ...} or {"SpecialToken": ...}.`);
      });
      return (ids) => steps.flatMap((s) => (s === 'A' ? ids : s));
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const pair = (key: string): number => {
        const v = section[key];
        if (!Array.isArray(v) || !Number.isInteger(v[1])) fail(`${where}.${key} must be [token, id].`);
        return v[1] as number;
      };
      const cls = pair('cls');
      const sep = pair('sep');
      return (ids) => [cls, ...ids, sep];
    }
    default:
      return unsupported(where, type, POST_PROCESSORS);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoders

const DECODERS = ['Sequence', 'Replace', 'ByteFallback', 'Fuse', 'Strip', 'ByteLevel', 'Metaspace'] as const;

function buildDecoder(section: unknown, where = 'decoder'): Decoder {
  if (section === null || section === undefined) return (tokens) => [tokens.join(' ')];
  if (!isObject(section)) fail(`${where} must be an object or null.`);
  const type = typeOf(section, where);
  switch (type) {
    case 'Sequence': {
      const parts = arr(section, 'decoders', where).map((s, i) => buildDecoder(s, `${where}.decoders[${i}]`));
      return (tokens) => parts.reduce((acc, f) => f(acc), tokens);
    }
    case 'Replace': {
      const pattern = compilePattern(section['pattern'], `${where}.pattern`);
      const content = str(section, 'content', where);
      return (tokens) => tokens.map((t) => replaceAll(t, pattern, content));
    }
    case 'ByteFallback':
      return (tokens) => {
        const out: string[] = [];
        let bytes: number[] = [];
        const flush = (): void => {
          if (bytes.length === 0) return;
          out.push(utf8DecodeStrict(Uint8Array.from(bytes)) ?? '\uFFFD'.repeat(bytes.length));
          bytes = [];
        };
        for (const t of tokens) {
          const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
          if (m) bytes.push(parseInt(m[1]!, 16));
          else {
            flush();
            out.push(t);
          }
        }
        flush();
        return out;
      };
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const content = str(section, 'content', where);
      const start = Number(section['start'] ?? 0);
      const stop = Number(section['stop'] ?? 0);
      return (tokens) =>
        tokens.map((t) => {
          const chars = [...t];
          let a = 0;
          while (a < start && a < chars.length && chars[a] === content) a++;
          let b = chars.length;
          while (chars.length - b < stop && b > a && chars[b - 1] === content) b--;
          return chars.slice(a, b).join('');
        });
    }
    case 'ByteLevel':
      return (tokens) => {
        const bytes: number[] = [];
        for (const t of tokens) {
          const b = fromByteLevel(t);
          if (b === undefined) bytes.push(...utf8Encode(t));
          else bytes.push(...b);
        }
        return [utf8DecodeLossy(Uint8Array.from(bytes))];
      };
    case 'Metaspace': {
      const replacement = str(section, 'replacement', where);
      const scheme = metaspaceScheme(section);
      return (tokens) =>
        tokens.map((t, i) => {
          const s = t.replaceAll(replacement, ' ');
          return i === 0 && scheme !== 'never' && s.startsWith(' ') ? s.slice(1) : s;
        });
    }
    default:
      return unsupported(where, type, DECODERS);
  }
}

// ---------------------------------------------------------------------------------------------
// Added tokens

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly singleWord: boolean;
}

function parseAddedTokens(section: unknown): AddedToken[] {
  if (section === undefined || section === null) return [];
  if (!Array.isArray(section)) fail('added_tokens must be an array.');
  return section.map((t, i) => {
    if (!isObject(t) || !Number.isInteger(t['id']) || (t['id'] as number) < 0 || typeof t['content'] !== 'string' || t['content'] === '') {
      fail(`added_tokens[${i}] must have a non-negative integer "id" and a non-empty "content".`);
    }
    return {
      id: t['id'] as number,
      content: t['content'],
      special: bool(t, 'special', false),
      lstrip: bool(t, 'lstrip', false),
      rstrip: bool(t, 'rstrip', false),
      singleWord: bool(t, 'single_word', false),
    };
  });
}

interface Segment {
  readonly text: string;
  readonly added?: AddedToken;
  readonly start: number;
}

/** Splits raw text at added tokens (longest match first), honouring lstrip, rstrip, single_word. */
function splitAddedTokens(text: string, added: readonly AddedToken[], pattern: RegExp | undefined): Segment[] {
  if (pattern === undefined) return [{ text, start: 0 }];
  const byContent = new Map(added.map((t) => [t.content, t]));
  const out: Segment[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const token = byContent.get(m[0])!;
    let start = m.index;
    let end = start + m[0].length;
    if (token.singleWord) {
      const before = text[start - 1];
      const after = text[end];
      const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
      if (isWordChar(before) || isWordChar(after)) {
        pattern.lastIndex = start + 1;
        continue;
      }
    }
    if (token.lstrip) while (start > last && /\s/u.test(text[start - 1]!)) start--;
    if (token.rstrip) while (end < text.length && /\s/u.test(text[end]!)) end++;
    if (start > last) out.push({ text: text.slice(last, start), start: last });
    out.push({ text: m[0], added: token, start });
    last = end;
    pattern.lastIndex = end;
  }
  if (last < text.length) out.push({ text: text.slice(last), start: last });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The model section

function parseBpe(section: unknown): { model: BpeModel; vocab: Map<string, number>; description: string } {
  if (!isObject(section)) fail('the "model" section is missing; is this a Hugging Face tokenizer.json?');
  const type = section['type'] ?? (isObject(section['vocab']) && Array.isArray(section['merges']) ? 'BPE' : undefined);
  if (type !== 'BPE') {
    fail(
      `model type ${JSON.stringify(type)} is not supported (supported: BPE, as in LLaMA, Vicuna, Mistral, Qwen). ` +
        'Unigram and WordPiece tokenizers need another WordTokenizer implementation.',
      { modelType: type },
    );
  }
  const rawVocab = section['vocab'];
  if (!isObject(rawVocab)) fail('model.vocab must be an object mapping token strings to ids.');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(rawVocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) fail(`model.vocab[${JSON.stringify(token)}] must be a non-negative integer id, got ${JSON.stringify(id)}.`);
    if ((id as number) >= 2 ** 21) fail(`model.vocab[${JSON.stringify(token)}] = ${id} is beyond the supported 2^21 ids.`);
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) fail('model.vocab is empty.');
  const rawMerges = section['merges'] ?? [];
  if (!Array.isArray(rawMerges)) fail('model.merges must be an array.');
  const merges = rawMerges.map((m, i): [string, string] => {
    if (typeof m === 'string') {
      const cut = m.indexOf(' ', 1);
      if (cut < 0 || m.indexOf(' ', cut + 1) >= 0) fail(`model.merges[${i}] must be "left right", got ${JSON.stringify(m)}.`);
      return [m.slice(0, cut), m.slice(cut + 1)];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    return fail(`model.merges[${i}] must be "left right" or ["left", "right"], got ${JSON.stringify(m)}.`);
  });
  const dropout = section['dropout'];
  if (dropout !== undefined && dropout !== null && dropout !== 0) fail(`model.dropout ${JSON.stringify(dropout)} is not supported (tokenization must be deterministic).`);
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix']) {
    const v = section[key];
    if (v !== undefined && v !== null && v !== '') fail(`model.${key} ${JSON.stringify(v)} is not supported.`);
  }
  const unkToken = section['unk_token'];
  const unkId = typeof unkToken === 'string' ? vocab.get(unkToken) : undefined;
  const byteFallback = bool(section, 'byte_fallback', false);
  const model = new BpeModel({
    vocab,
    merges,
    unkId,
    byteFallback,
    fuseUnk: bool(section, 'fuse_unk', false),
    ignoreMerges: bool(section, 'ignore_merges', false),
  });
  return { model, vocab, description: byteFallback ? 'BPE with byte fallback' : 'BPE' };
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Builds a {@link Tokenizer} from a Hugging Face `tokenizer.json` (the "fast tokenizer" file found
 * in every model repository), parsed or as text. Supported: BPE models, both SentencePiece-style
 * with byte fallback (LLaMA, Vicuna, LLaVA, Mistral) and byte-level (Qwen2/2.5/3, LLaMA-3, GPT-2);
 * normalizers `Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip`; pre-tokenizers
 * `Sequence, Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit`; post-processors
 * `TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence`; decoders
 * `Sequence, Replace, ByteFallback, Fuse, Strip, ByteLevel, Metaspace`; added tokens with
 * `lstrip`, `rstrip` and `single_word`, matched in the raw text (before normalization, which is
 * what the files of LLaMA, Mistral and Qwen ask for). Anything else is rejected up front.
 *
 * `encodeWord(word)` encodes `" " + word` as a piece in the middle of a text: the start-of-text
 * steps (the `Prepend` normalizer of legacy LLaMA files, `Strip`) do not apply and added tokens are
 * not matched, so the result is the word's ids with its leading-space marker and no special token.
 *
 * Regexes in the file are Oniguruma syntax; they are translated to JavaScript (scoped `(?i:...)`
 * groups are expanded letter by letter, possessive quantifiers become greedy).
 *
 * @param json - the parsed `tokenizer.json` object, its text, or its bytes (as read from disk)
 * @param options - a display name
 * @returns the tokenizer
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when the text is not JSON, the file is not a
 *   tokenizer.json, the model is not BPE, a merge names an unknown token, or a component type is
 *   not supported (the message lists the supported ones)
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
  if (json instanceof Uint8Array) root = utf8DecodeLossy(json);
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch (cause) {
      throw new ResPruneError('E_TOKENIZER', 'tokenizer.json: the text is not valid JSON.', { cause });
    }
  }
  if (!isObject(root)) fail(`expected a JSON object, got ${Array.isArray(root) ? 'an array' : root === null ? 'null' : typeof root}.`);

  const { model, vocab, description } = parseBpe(root['model']);
  const normalize = buildNormalizer(root['normalizer']);
  const preTokenize = buildPreTokenizer(root['pre_tokenizer']);
  const postProcess = buildPostProcessor(root['post_processor']);
  const decodeChain = buildDecoder(root['decoder']);
  const added = parseAddedTokens(root['added_tokens']);

  const tokenToIdMap = new Map(vocab);
  for (const t of added) tokenToIdMap.set(t.content, t.id);
  let vocabSize = 0;
  for (const id of tokenToIdMap.values()) vocabSize = Math.max(vocabSize, id + 1);
  const idToTokenArr: (string | undefined)[] = new Array<string | undefined>(vocabSize);
  for (const [token, id] of vocab) if (idToTokenArr[id] === undefined) idToTokenArr[id] = token;
  for (const t of added) idToTokenArr[t.id] = t.content;
  const specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
  const addedPattern =
    added.length === 0
      ? undefined
      : new RegExp(
          [...added]
            .sort((a, b) => b.content.length - a.content.length)
            .map((t) => escapeRegex(t.content))
            .join('|'),
          'gu',
        );
  const name = options.name ?? `tokenizer.json (${description}, ${vocabSize} ids)`;

  const encodeText = (text: string, pos: Position): number[] => {
    const normalized = normalize(text, pos);
    if (normalized === '') return [];
    return preTokenize([normalized], pos).flatMap((piece) => model.encode(piece));
  };

  return {
    name,
    vocabSize,
    encode(text: string, opts: EncodeOptions = {}): number[] {
      if (typeof text !== 'string') throw new ResPruneError('E_INVALID_OPTION', `${name}.encode: text must be a string, got ${typeof text}.`);
      const ids: number[] = [];
      for (const seg of splitAddedTokens(text, added, addedPattern)) {
        if (seg.added !== undefined) ids.push(seg.added.id);
        else ids.push(...encodeText(seg.text, { atStart: seg.start === 0, word: false }));
      }
      return opts.addSpecialTokens === false ? ids : postProcess(ids);
    },
    encodeWord(word: string): number[] {
      const w = checkWord(word, name);
      const ids = encodeText(' ' + w, { atStart: false, word: true });
      if (ids.length === 0) throw new ResPruneError('E_TOKENIZER', `${name}: ${JSON.stringify(w)} produced no tokens.`);
      return ids;
    },
    decode(ids: readonly number[], opts: DecodeOptions = {}): string {
      if (!Array.isArray(ids)) throw new ResPruneError('E_INVALID_OPTION', `${name}.decode: ids must be an array of token ids.`);
      const tokens: string[] = [];
      for (const id of ids) {
        const token = Number.isInteger(id) ? idToTokenArr[id] : undefined;
        if (token === undefined) {
          throw new ResPruneError('E_TOKENIZER', `${name}.decode: ${JSON.stringify(id)} is not a token id of this tokenizer (valid: integers in [0, ${vocabSize}) that name a token).`, {
            details: { id, vocabSize },
          });
        }
        if (opts.skipSpecialTokens === true && specialIds.has(id)) continue;
        tokens.push(token);
      }
      return tokens.length === 0 ? '' : decodeChain(tokens).join('');
    },
    tokenToId: (token: string) => tokenToIdMap.get(token),
    idToToken: (id: number) => (Number.isInteger(id) ? idToTokenArr[id] : undefined),
    isSpecial: (id: number) => specialIds.has(id),
  };
}
