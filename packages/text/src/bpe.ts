import { ResPruneError } from '@resprune/errors';
import { utf8Encode } from './utf8.js';

/** Vocabulary ids must stay below this bound, so a pair of ids packs into one safe integer. */
const ID_BOUND = 2 ** 21;
/** Positions inside one word must stay below this bound (heap keys pack rank and position). */
const POS_BOUND = 2 ** 32;
const CACHE_LIMIT = 50_000;
const CACHE_MAX_WORD = 64;

/** The parsed `model` section of a BPE tokenizer.json. */
export interface BpeConfig {
  /** Token string to id. */
  readonly vocab: ReadonlyMap<string, number>;
  /** Merge rules in priority order (first = applied first), as pairs of token strings. */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  /** Id of the unknown token, when the model has one. */
  readonly unkId: number | undefined;
  /** Characters missing from the vocabulary become their UTF-8 bytes as `<0xXX>` tokens. */
  readonly byteFallback: boolean;
  /** Consecutive unknown characters become one unknown token. */
  readonly fuseUnk: boolean;
  /** A pre-token that is itself in the vocabulary is emitted as is, without merges (LLaMA-3). */
  readonly ignoreMerges: boolean;
}

/**
 * Byte-pair encoding over one pre-token ("word"), following the Hugging Face `tokenizers`
 * algorithm: start from the word's characters (Unicode scalar values) mapped to ids, then
 * repeatedly apply the adjacent merge with the lowest rank, leftmost first among equal ranks,
 * until no merge applies. A binary heap keeps this O(n log n) in the word length, which matters
 * for SentencePiece-style vocabularies where a whole sentence is one word.
 */
export class BpeModel {
  readonly #vocab: ReadonlyMap<string, number>;
  readonly #rank = new Map<number, number>();
  readonly #mergedId: Int32Array;
  readonly #byteIds: (number | undefined)[] | undefined;
  readonly #unkId: number | undefined;
  readonly #fuseUnk: boolean;
  readonly #ignoreMerges: boolean;
  readonly #cache = new Map<string, number[]>();

  /** @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when a merge names a token missing from the vocabulary */
  constructor(config: BpeConfig) {
    this.#vocab = config.vocab;
    this.#unkId = config.unkId;
    this.#fuseUnk = config.fuseUnk;
    this.#ignoreMerges = config.ignoreMerges;
    this.#mergedId = new Int32Array(config.merges.length);
    config.merges.forEach(([a, b], rank) => {
      const ia = this.#vocab.get(a);
      const ib = this.#vocab.get(b);
      const im = this.#vocab.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = [a, b, a + b].filter((t) => !this.#vocab.has(t));
        throw new ResPruneError(
          'E_TOKENIZER',
          `tokenizer.json: merge #${rank} (${JSON.stringify(a)} + ${JSON.stringify(b)}) uses tokens missing from the vocabulary: ${missing.map((t) => JSON.stringify(t)).join(', ')}.`,
          { details: { rank, merge: [a, b] } },
        );
      }
      const key = ia * ID_BOUND + ib;
      if (!this.#rank.has(key)) this.#rank.set(key, rank);
      this.#mergedId[rank] = im;
    });
    if (config.byteFallback) {
      this.#byteIds = Array.from({ length: 256 }, (_, b) =>
        this.#vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`),
      );
    }
  }

  /**
   * Token ids of one pre-token.
   *
   * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when a character is not in the vocabulary and the
   *   model has neither byte fallback nor an unknown token
   */
  encode(word: string): number[] {
    if (word === '') return [];
    if (this.#ignoreMerges) {
      const whole = this.#vocab.get(word);
      if (whole !== undefined) return [whole];
    }
    const cached = this.#cache.get(word);
    if (cached !== undefined) return cached.slice();
    const ids = this.#merge(this.#symbols(word));
    if (word.length <= CACHE_MAX_WORD) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(word, ids.slice());
    }
    return ids;
  }

  #symbols(word: string): number[] {
    const ids: number[] = [];
    let lastWasUnk = false;
    for (const ch of word) {
      const id = this.#vocab.get(ch);
      if (id !== undefined) {
        ids.push(id);
        lastWasUnk = false;
        continue;
      }
      if (this.#byteIds !== undefined) {
        const bytes = [...utf8Encode(ch)].map((b) => this.#byteIds![b]);
        if (bytes.every((b) => b !== undefined)) {
          ids.push(...(bytes as number[]));
          lastWasUnk = false;
          continue;
        }
      }
      if (this.#unkId === undefined) {
        throw new ResPruneError(
          'E_TOKENIZER',
          `BPE: character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the vocabulary and the model has no byte fallback and no unk_token.`,
          { details: { character: ch } },
        );
      }
      if (!(this.#fuseUnk && lastWasUnk)) ids.push(this.#unkId);
      lastWasUnk = true;
    }
    return ids;
  }

  #merge(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2) return ids;
    if (n >= POS_BOUND) throw new ResPruneError('E_TOKENIZER', `BPE: pre-token of ${n} symbols is too long.`);
    const sym = Int32Array.from(ids);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new MinHeap();
    const push = (left: number): void => {
      const right = next[left]!;
      if (right < 0) return;
      const rank = this.#rank.get(sym[left]! * ID_BOUND + sym[right]!);
      if (rank !== undefined) heap.push(rank * POS_BOUND + left);
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POS_BOUND);
      const left = key - rank * POS_BOUND;
      if (!alive[left]) continue;
      const right = next[left]!;
      if (right < 0) continue;
      // The pair may have changed since this entry was queued; ranks are unique per pair.
      if (this.#rank.get(sym[left]! * ID_BOUND + sym[right]!) !== rank) continue;
      sym[left] = this.#mergedId[rank]!;
      alive[right] = 0;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      if (prev[left]! >= 0) push(prev[left]!);
      push(left);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

/** A binary min-heap of non-negative safe integers. */
class MinHeap {
  readonly #items: number[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(value: number): void {
    const a = this.#items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }

  pop(): number {
    const a = this.#items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
