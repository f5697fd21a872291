import nlp from 'compromise';
import { describe, expect, it } from 'vitest';
import { extractContentWords, extractKeywords, extractNouns } from '../src/index.js';
import { expectError } from './helpers.js';

describe('extractNouns', () => {
  it('finds the nouns of real VQA prompts, lower-cased, in prompt order', () => {
    expect(extractNouns('What is the dog doing next to the bicycle?')).toEqual(['dog', 'bicycle']);
    expect(extractNouns('Describe this image.')).toEqual(['image']);
    expect(extractNouns('Is the man holding a tennis racket or a baseball bat?')).toEqual(['man', 'tennis', 'racket', 'baseball', 'bat']);
    expect(extractNouns('Which animal is bigger, the elephant or the giraffe?')).toEqual(['animal', 'elephant', 'giraffe']);
    expect(extractNouns('Does the kitchen have a microwave?')).toEqual(['kitchen', 'microwave']);
  });

  it('splits multi-word nouns into their words', () => {
    expect(extractNouns('Is there a red car parked near the fire hydrant?')).toEqual(['car', 'fire', 'hydrant']);
    expect(extractNouns('Is there a stop sign in the picture?')).toEqual(['stop', 'sign', 'picture']);
    expect(extractNouns('Where is the Eiffel Tower?')).toEqual(['eiffel', 'tower']);
  });

  it('drops possessive clitics (straight and curly apostrophes) and keeps plurals as written', () => {
    expect(extractNouns("What color is the woman's umbrella?")).toEqual(['color', 'woman', 'umbrella']);
    expect(extractNouns('What color is the woman’s umbrella?')).toEqual(['color', 'woman', 'umbrella']);
    expect(extractNouns('How many people are wearing hats?')).toEqual(['people', 'hats']);
  });

  it('de-duplicates case-insensitively, keeping the first occurrence', () => {
    expect(extractNouns('Is the black dog bigger than the white Dog near the dog house?')).toEqual(['dog', 'house']);
    expect(extractNouns('Compare the cat on the left with the Cat on the right.')).toEqual(['cat', 'left', 'right']);
    expect(extractNouns('WHAT IS THE DOG DOING?')).toEqual(['dog']);
  });

  it('does not count pronouns, question words or punctuation', () => {
    expect(extractNouns('What is he eating?')).toEqual([]);
    expect(extractNouns('Where is this?')).toEqual([]);
    expect(extractNouns('?!.,;')).toEqual([]);
  });

  it('handles empty and blank prompts', () => {
    expect(extractNouns('')).toEqual([]);
    expect(extractNouns('   \n\t ')).toEqual([]);
  });

  it('rejects a prompt that is not a string', () => {
    expectError(() => extractNouns(undefined as unknown as string), 'E_INVALID_OPTION', /prompt must be a string, got undefined/);
    expectError(() => extractNouns(null as unknown as string), 'E_INVALID_OPTION', /got null/);
    expectError(() => extractKeywords(42 as unknown as string), 'E_INVALID_OPTION', /got number/);
    expectError(() => extractContentWords({} as unknown as string), 'E_INVALID_OPTION', /got object/);
  });

  it('is deterministic', () => {
    const p = 'What is the person in the red shirt holding next to the traffic light?';
    const first = extractNouns(p);
    for (let i = 0; i < 5; i++) expect(extractNouns(p)).toEqual(first);
  });
});

describe('extractKeywords: the method fallbacks', () => {
  it('uses nouns when there are any', () => {
    expect(extractKeywords('Describe this image.')).toEqual({ words: ['image'], source: 'nouns' });
  });

  it('falls back to content words (stop words removed) when there is no noun', () => {
    expect(extractKeywords('Is it sunny?')).toEqual({ words: ['sunny'], source: 'content-words' });
    expect(extractKeywords('What is he eating?')).toEqual({ words: ['eating'], source: 'content-words' });
    expect(extractContentWords('Is it sunny?')).toEqual(['sunny']);
  });

  it('gives no conditioning when nothing is left', () => {
    expect(extractKeywords('Where is this?')).toEqual({ words: [], source: 'none' });
    expect(extractKeywords('How many?')).toEqual({ words: [], source: 'none' });
    expect(extractKeywords('')).toEqual({ words: [], source: 'none' });
    expect(extractKeywords('  ')).toEqual({ words: [], source: 'none' });
    expect(extractKeywords('!!! ??? 123')).toEqual({ words: [], source: 'none' });
  });

  it('content words keep every non-stop word, not only nouns', () => {
    expect(extractContentWords('Describe the scene in detail, please!')).toEqual(['describe', 'scene', 'detail']);
  });
});

/**
 * Thirty VQA-style prompts with their nouns labelled by hand (common and proper nouns, no
 * pronouns). This is the evidence behind choosing wink-nlp over compromise.
 */
const GOLD: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['What is the dog doing next to the bicycle?', ['dog', 'bicycle']],
  ['Describe this image.', ['image']],
  ['Is there a red car parked near the fire hydrant?', ['car', 'fire', 'hydrant']],
  ['How many people are wearing hats?', ['people', 'hats']],
  ["What color is the woman's umbrella?", ['color', 'woman', 'umbrella']],
  ['Is the man holding a tennis racket or a baseball bat?', ['man', 'tennis', 'racket', 'baseball', 'bat']],
  ['What does the sign on the left say?', ['sign', 'left']],
  ['Are the cats sleeping on the couch?', ['cats', 'couch']],
  ['Which animal is bigger, the elephant or the giraffe?', ['animal', 'elephant', 'giraffe']],
  ['What is written on the bus?', ['bus']],
  ['Is it sunny?', []],
  ['What time of day is it?', ['time', 'day']],
  ['Where is this?', []],
  ['Is there a stop sign in the picture?', ['stop', 'sign', 'picture']],
  ['Who is riding the horse?', ['horse']],
  ['What kind of dog is this?', ['kind', 'dog']],
  ['Read the text in the image.', ['text', 'image']],
  ['Can you see any boats?', ['boats']],
  ['What is he eating?', []],
  ['Is the laptop open?', ['laptop']],
  ['What are the children playing with in the park?', ['children', 'park']],
  ['Is the giraffe eating leaves from the tree?', ['giraffe', 'leaves', 'tree']],
  ['What brand is the phone on the table?', ['brand', 'phone', 'table']],
  ['How many slices of pizza are left?', ['slices', 'pizza']],
  ['What is the person in the red shirt holding?', ['person', 'shirt']],
  ['Is the traffic light green?', ['traffic', 'light']],
  ['What is the name of the store?', ['name', 'store']],
  ['What sport is being played?', ['sport']],
  ['Does the kitchen have a microwave?', ['kitchen', 'microwave']],
  ['Describe the scene in detail.', ['scene', 'detail']],
];

function score(tagger: (p: string) => string[]): { precision: number; recall: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [prompt, gold] of GOLD) {
    const got = new Set(tagger(prompt));
    for (const w of got) if (gold.includes(w)) tp++;
    else fp++;
    for (const w of gold) if (!got.has(w)) fn++;
  }
  return { precision: tp / (tp + fp), recall: tp / (tp + fn) };
}

/** The nouns compromise 14.17 finds, for comparison: terms tagged Noun but not Pronoun. */
function compromiseNouns(prompt: string): string[] {
  const terms = (nlp(prompt).terms().json() as { terms: { normal: string; tags: string[] }[] }[]).flatMap((t) => t.terms);
  return terms.filter((t) => t.tags.includes('Noun') && !t.tags.includes('Pronoun')).map((t) => t.normal);
}

describe('tagger quality on 30 hand-labelled VQA prompts', () => {
  it('wink-nlp: no false noun, at most 2 missed (measured: "leaves" and "light" are tagged VERB/ADV)', () => {
    const { precision, recall } = score(extractNouns);
    expect(precision).toBe(1);
    expect(recall).toBeGreaterThanOrEqual(55 / 57);
  });

  it('wink-nlp beats compromise, the alternative that was considered', () => {
    const wink = score(extractNouns);
    const comp = score(compromiseNouns);
    // Measured: compromise 14.17.0 P 0.89, R 0.86 (tags "holding", "say", "eating" as nouns,
    // misses "animal", "kind", "boats").
    expect(comp.precision).toBeLessThan(wink.precision);
    expect(comp.recall).toBeLessThan(wink.recall);
  });
});
