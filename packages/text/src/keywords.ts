import { ResPruneError } from '@resprune/errors';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

/**
 * Where the words of a {@link Keywords} result came from.
 *
 * - `'nouns'`: the prompt's nouns (common and proper), from the part-of-speech tagger.
 * - `'content-words'`: the prompt had no noun, so its words minus stop words were used.
 * - `'none'`: nothing usable: no text conditioning (relevance r = 1 for every visual token).
 */
export type KeywordSource = 'nouns' | 'content-words' | 'none';

/** The words that condition the selection, with where they came from. */
export interface Keywords {
  /** Lower-cased, de-duplicated words in prompt order. Empty when `source` is `'none'`. */
  readonly words: string[];
  /** Which rule of the method's text side produced `words`. */
  readonly source: KeywordSource;
}

type Wink = ReturnType<typeof winkNLP>;

let tagger: Wink | undefined;

/** The wink-nlp instance, built on first use (loading the model takes about 0.1 s). */
function getTagger(): Wink {
  // Only sentence boundaries and POS tags are needed; the other pipes (negation, sentiment, NER)
  // change no tag and cost time.
  tagger ??= winkNLP(model, ['sbd', 'pos']);
  return tagger;
}

/** Universal POS tags that count as nouns. Pronouns (PRON) do not. */
const NOUN_TAGS: ReadonlySet<string> = new Set(['NOUN', 'PROPN']);

/** A word worth embedding has at least one letter (drops punctuation, symbols, pure numbers). */
const HAS_LETTER = /\p{L}/u;

interface TaggedToken {
  readonly text: string;
  readonly pos: string;
  readonly type: string;
  readonly stop: boolean;
}

function checkPrompt(prompt: unknown, op: string): asserts prompt is string {
  if (typeof prompt !== 'string') {
    throw new ResPruneError(
      'E_INVALID_OPTION',
      `${op}: prompt must be a string, got ${prompt === null ? 'null' : typeof prompt}. ` +
        'Pass the user question as plain text (an empty string means no text conditioning).',
    );
  }
}

function tag(prompt: string): TaggedToken[] {
  if (prompt.trim() === '') return [];
  const nlp = getTagger();
  const its = nlp.its;
  const tokens = nlp.readDoc(prompt).tokens();
  const text = tokens.out(its.value);
  const pos = tokens.out(its.pos);
  const type = tokens.out(its.type);
  const stop = tokens.out(its.stopWordFlag) as unknown as boolean[];
  return text.map((t, i) => ({ text: t, pos: pos[i] ?? '', type: type[i] ?? '', stop: stop[i] === true }));
}

function nounsOf(tokens: readonly TaggedToken[]): string[] {
  return uniqueLower(tokens.filter((t) => NOUN_TAGS.has(t.pos) && HAS_LETTER.test(t.text)).map((t) => t.text));
}

function contentWordsOf(tokens: readonly TaggedToken[]): string[] {
  return uniqueLower(tokens.filter((t) => t.type === 'word' && !t.stop && HAS_LETTER.test(t.text)).map((t) => t.text));
}

function uniqueLower(words: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of words) {
    const lower = w.toLowerCase();
    if (!seen.has(lower)) {
      seen.add(lower);
      out.push(lower);
    }
  }
  return out;
}

/**
 * The nouns of a prompt, found by part-of-speech tagging with wink-nlp and its English light
 * model: every token tagged `NOUN` or `PROPN` that contains a letter, lower-cased, de-duplicated,
 * in prompt order.
 *
 * How words come out, as the tagger gives them:
 * - multi-word nouns count as their words ("fire hydrant" gives `fire`, `hydrant`; "t-shirt" gives
 *   `t`, `shirt`, because the tokenizer splits at the hyphen);
 * - possessives lose their clitic ("the woman's umbrella" gives `woman`, `umbrella`);
 * - plurals stay as written ("hats" stays `hats`): the word is embedded as it appears in the prompt;
 * - pronouns (`it`, `he`, `this`) are not nouns.
 *
 * The tagger is English-only; other languages usually yield no nouns.
 *
 * @param prompt - the user's question or instruction, without chat-template markup
 * @returns the nouns, lower-cased, each once, in the order they first appear (empty when none)
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when `prompt` is not a string
 * @example
 * ```ts
 * extractNouns('What is the dog doing next to the bicycle?'); // ['dog', 'bicycle']
 * ```
 */
export function extractNouns(prompt: string): string[] {
  checkPrompt(prompt, 'extractNouns');
  return nounsOf(tag(prompt));
}

/**
 * The content words of a prompt: its word tokens minus stop words (wink-nlp's English stop-word
 * list), lower-cased, de-duplicated, in prompt order. Numbers, punctuation, symbols, URLs and
 * emoji are not words. This is the method's fallback when a prompt has no noun.
 *
 * @param prompt - the user's question or instruction
 * @returns the content words (empty when every word is a stop word)
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when `prompt` is not a string
 * @example
 * ```ts
 * extractContentWords('Is it sunny?'); // ['sunny']
 * ```
 */
export function extractContentWords(prompt: string): string[] {
  checkPrompt(prompt, 'extractContentWords');
  return contentWordsOf(tag(prompt));
}

/**
 * The words that condition the selection, following the method's text side: the prompt's nouns;
 * if there is none, its content words (stop words removed); if there is still none, no words and
 * no text conditioning. An empty or blank prompt is not an error: it gives `source: 'none'`.
 *
 * @param prompt - the user's question or instruction
 * @returns the words and which rule produced them
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when `prompt` is not a string
 * @example
 * ```ts
 * extractKeywords('Describe this image.'); // { words: ['image'], source: 'nouns' }
 * extractKeywords('Is it sunny?');         // { words: ['sunny'], source: 'content-words' }
 * extractKeywords('Where is this?');       // { words: [], source: 'none' }
 * ```
 */
export function extractKeywords(prompt: string): Keywords {
  checkPrompt(prompt, 'extractKeywords');
  const tokens = tag(prompt);
  const nouns = nounsOf(tokens);
  if (nouns.length > 0) return { words: nouns, source: 'nouns' };
  const content = contentWordsOf(tokens);
  if (content.length > 0) return { words: content, source: 'content-words' };
  return { words: [], source: 'none' };
}
