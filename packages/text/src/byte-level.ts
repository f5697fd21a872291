import { utf8Encode } from './utf8.js';

/**
 * The byte-to-character table of byte-level BPE (GPT-2, Qwen, LLaMA-3): every byte 0..255 maps to
 * one printable Unicode character, so any UTF-8 byte string becomes a string of "characters" that
 * the BPE merges work on. Printable Latin-1 bytes map to themselves; the 68 others (control
 * characters, space, DEL, NBSP, soft hyphen, ...) map to U+0100 upwards in byte order. A space
 * therefore becomes `Ġ` (U+0120) and a newline `Ċ` (U+010A).
 */
function buildByteTables(): { encode: string[]; decode: Map<string, number> } {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const encode: string[] = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (printable(b)) {
      encode[b] = String.fromCodePoint(b);
    } else {
      encode[b] = String.fromCodePoint(256 + next);
      next++;
    }
  }
  const decode = new Map<string, number>();
  encode.forEach((ch, b) => decode.set(ch, b));
  return { encode, decode };
}

const TABLES = buildByteTables();

/** Maps text to its byte-level form: UTF-8 bytes, each replaced by its table character. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of utf8Encode(text)) out += TABLES.encode[b]!;
  return out;
}

/**
 * The bytes behind a byte-level token, or `undefined` when a character is outside the table (as
 * in added tokens written with arbitrary characters).
 */
export function fromByteLevel(token: string): number[] | undefined {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = TABLES.decode.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return bytes;
}
