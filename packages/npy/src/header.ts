import { ResPruneError } from '@resprune/errors';

/** The parsed fields of a .npy header dictionary. */
export interface NpyHeader {
  /** The `descr` entry when it is a string (structured dtypes are lists and are rejected earlier). */
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

type PyValue = string | boolean | number | PyValue[] | { tuple: number[] } | null;

function formatError(message: string): ResPruneError {
  return new ResPruneError('E_NPY_FORMAT', `readNpy: bad header: ${message}`);
}

/**
 * A small recursive-descent parser for the Python literal subset that .npy headers use:
 * a dict with string keys whose values are strings, True/False/None, ints and tuples or lists.
 */
class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDict(): Map<string, PyValue> {
    this.skipSpace();
    this.expect('{');
    const out = new Map<string, PyValue>();
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}') break;
      const key = this.parseValue();
      if (typeof key !== 'string') throw formatError(`dictionary keys must be strings, got ${JSON.stringify(key)}`);
      this.skipSpace();
      this.expect(':');
      const value = this.parseValue();
      if (out.has(key)) throw formatError(`key '${key}' appears twice`);
      out.set(key, value);
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() !== '}') throw this.unexpected("',' or '}'");
    }
    this.expect('}');
    this.skipSpace();
    if (this.pos !== this.text.length) throw this.unexpected('end of header after the dictionary');
    return out;
  }

  private parseValue(): PyValue {
    this.skipSpace();
    const ch = this.peek();
    if (ch === "'" || ch === '"') return this.parseString(ch);
    if (ch === '(' || ch === '[') return this.parseSequence(ch);
    if (ch !== undefined && /[0-9+-]/.test(ch)) return this.parseInt();
    for (const [word, value] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    throw this.unexpected('a string, number, tuple, True, False or None');
  }

  private parseString(quote: string): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === undefined) throw formatError('unterminated string');
      if (ch === quote) return out;
      if (ch === '\\') {
        const next = this.text[this.pos++];
        if (next === undefined) throw formatError('unterminated string');
        out += next;
      } else out += ch;
    }
  }

  private parseInt(): number {
    const m = /^[+-]?[0-9]+L?/.exec(this.text.slice(this.pos));
    if (m === null) throw this.unexpected('an integer');
    this.pos += m[0].length;
    const digits = m[0].endsWith('L') ? m[0].slice(0, -1) : m[0];
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) throw formatError(`integer ${digits} is too large`);
    return value;
  }

  private parseSequence(open: string): PyValue {
    const close = open === '(' ? ')' : ']';
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.peek() === close) break;
      items.push(this.parseValue());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() !== close) throw this.unexpected(`',' or '${close}'`);
    }
    this.pos++;
    if (open === '(' && items.every((v): v is number => typeof v === 'number')) return { tuple: items };
    return items;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) throw this.unexpected(`'${ch}'`);
    this.pos++;
  }

  private unexpected(what: string): ResPruneError {
    const near = this.text.slice(this.pos, this.pos + 20);
    return formatError(`expected ${what} at character ${this.pos}, found ${near === '' ? 'end of header' : JSON.stringify(near)}`);
  }
}

/**
 * Parses the header text of a .npy file (the Python dict literal after the length field).
 *
 * @throws {@link @resprune/errors!ResPruneError} `E_NPY_FORMAT` for malformed text, missing or unknown keys or a bad
 *   shape; `E_DTYPE` for structured (record) dtypes
 */
export function parseHeader(text: string): NpyHeader {
  const dict = new LiteralParser(text).parseDict();
  const keys = [...dict.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw formatError(`expected exactly the keys 'descr', 'fortran_order' and 'shape', got ${keys.map((k) => `'${k}'`).join(', ') || 'none'}`);
  }
  const descr = dict.get('descr');
  if (Array.isArray(descr)) {
    throw new ResPruneError('E_DTYPE', 'readNpy: structured (record) dtypes are not supported; save each field as its own plain array');
  }
  if (typeof descr !== 'string') throw formatError(`'descr' must be a string, got ${JSON.stringify(descr)}`);
  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') throw formatError(`'fortran_order' must be True or False, got ${JSON.stringify(fortran)}`);
  const shape = dict.get('shape');
  if (shape === null || typeof shape !== 'object' || Array.isArray(shape)) {
    throw formatError(`'shape' must be a tuple of integers, got ${JSON.stringify(shape)}`);
  }
  for (const n of shape.tuple) {
    if (n < 0) throw formatError(`'shape' has a negative dimension: (${shape.tuple.join(', ')})`);
  }
  return { descr, fortranOrder: fortran, shape: shape.tuple };
}

/** Python's repr of a tuple of ints: `()`, `(3,)`, `(2, 3)`. */
function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** Room NumPy leaves after the dict so that the growing (first) axis can be rewritten in place. */
const GROWTH_DIGITS = 21;
/** Data starts at a multiple of this many bytes. */
const ALIGN = 64;

/**
 * Builds the full preamble of a C-order .npy file (magic, version, header length, header): the
 * same bytes NumPy 2.x writes, including its spare room for the first axis and the 64-byte padding.
 */
export function formatPreamble(descr: string, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  const growth = shape.length > 0 ? Math.max(0, GROWTH_DIGITS - String(shape[0]).length) : 0;
  let version = 1;
  let lengthBytes = 2;
  let unpadded = 8 + lengthBytes + dict.length + growth + 1;
  let total = Math.ceil(unpadded / ALIGN) * ALIGN;
  if (total - 10 > 0xffff) {
    version = 2;
    lengthBytes = 4;
    unpadded = 8 + lengthBytes + dict.length + growth + 1;
    total = Math.ceil(unpadded / ALIGN) * ALIGN;
  }
  const headerLength = total - 8 - lengthBytes;
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const text = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < text.length; i++) out[8 + lengthBytes + i] = text.charCodeAt(i);
  return out;
}
