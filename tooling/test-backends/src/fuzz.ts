/**
 * Byte-level fuzzing for the hostile-input tests: mutations of a valid file (bit flips, byte
 * overwrites, truncation, insertions, header edits) as a fast-check arbitrary, and run parameters
 * that make every failure reproducible.
 *
 * A failing run prints fast-check's seed and path; rerun exactly that case with
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> pnpm exec vitest run <test file>`. `FUZZ_RUNS` changes how
 * many cases run (default: the count the test asks for).
 */
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { expect } from 'vitest';

/** One edit of a byte string. */
type Edit =
  | { readonly kind: 'flip'; readonly bit: number }
  | { readonly kind: 'set'; readonly value: number }
  | { readonly kind: 'truncate' }
  | { readonly kind: 'insert'; readonly bytes: readonly number[] }
  | { readonly kind: 'replace'; readonly text: string };

/** Positions are fractions of the length, so one arbitrary fits any file size. */
const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

/** Positions biased to the first `headBytes` bytes (where headers live), half of the time. */
function mutation(headBytes: number): fc.Arbitrary<{ readonly where: number; readonly head: boolean; readonly m: Edit }> {
  const edit: fc.Arbitrary<Edit> = fc.oneof<fc.Arbitrary<Edit>[]>(
    fc.record({ kind: fc.constant('flip' as const), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), value: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x22, 0x5d, 0x7d, 0x2c, 0x30, 0x39, 0x2d) }),
    fc.record({ kind: fc.constant('truncate' as const) }),
    fc.record({ kind: fc.constant('insert' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
    fc.record({
      kind: fc.constant('replace' as const),
      text: fc.constantFrom('-1', '1e309', 'NaN', '99999999999', '"', '{', '}', '[]', 'null', ',', '0', ' ', '\u00e9', '<f4', '>i8', '|O'),
    }),
  );
  return fc.record({ where: position, head: fc.boolean(), m: edit }).map((r) => ({ ...r, head: r.head && headBytes > 0 }));
}

function apply(bytes: Uint8Array, where: number, m: Edit): Uint8Array {
  const at = Math.floor(where * Math.max(1, bytes.length));
  switch (m.kind) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      out[at % out.length]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      out[at % out.length] = m.value;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, Math.min(at, bytes.length));
    case 'insert': {
      const extra = Uint8Array.from(m.bytes);
      const cut = Math.min(at, bytes.length);
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes.subarray(0, cut));
      out.set(extra, cut);
      out.set(bytes.subarray(cut), cut + extra.length);
      return out;
    }
    case 'replace': {
      const text = new TextEncoder().encode(m.text);
      const out = bytes.slice();
      const cut = Math.min(at, Math.max(0, out.length - text.length));
      out.set(text.subarray(0, out.length - cut), cut);
      return out;
    }
    default:
      return bytes;
  }
}

/**
 * Mutations of `base`: one to four edits (bit flip, byte overwrite, truncation, insertion of a few
 * bytes, replacement by a hostile token such as `-1`, `1e309` or `"`), half of them aimed at the
 * first `headBytes` bytes, where a format's header lies.
 *
 * @param base - a valid file
 * @param headBytes - length of its header (0: anywhere)
 * @returns an arbitrary of mutated copies
 */
export function mutatedBytes(base: Uint8Array, headBytes = 0): fc.Arbitrary<Uint8Array> {
  return fc.array(mutation(headBytes), { minLength: 1, maxLength: 4 }).map((edits) => {
    let out = base;
    for (const e of edits) {
      const where = e.head ? (e.where * Math.min(headBytes, out.length)) / Math.max(1, out.length) : e.where;
      out = apply(out, where, e.m);
    }
    return out;
  });
}

/**
 * fast-check parameters for a fuzz test: `numRuns` (or `FUZZ_RUNS`), a seed (`FUZZ_SEED`, or a
 * fresh one that is printed so a failure can be replayed) and `FUZZ_PATH` to replay one case.
 *
 * @param label - name printed with the seed
 * @param numRuns - cases to run
 */
export function fuzzParams(label: string, numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() ^ (Math.random() * 0x100000000);
  const path = process.env['FUZZ_PATH'];
  const runs = process.env['FUZZ_RUNS'] !== undefined ? Number(process.env['FUZZ_RUNS']) : numRuns;
  console.log(`fuzz ${label}: seed ${seed}${path === undefined ? '' : `, path ${path}`}, ${runs} runs (replay: FUZZ_SEED=${seed})`);
  return { seed, numRuns: runs, ...(path === undefined ? {} : { path }), endOnFailure: false };
}

/**
 * Runs `fn` on hostile input: it must return (a valid result) or throw a `ResPruneError` with a
 * code, within `timeMs`. Any other exception fails the case. Returns the error code, or `'ok'`.
 */
export async function typedOrValid(fn: () => unknown, timeMs = 2000): Promise<string> {
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    await fn();
  } catch (e) {
    const code = (e as { code?: unknown; name?: unknown } | null)?.code;
    if (!(e instanceof Error) || (e as { name?: unknown }).name !== 'ResPruneError' || typeof code !== 'string' || !code.startsWith('E_')) {
      throw new Error(`not a typed error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    outcome = code;
  }
  const ms = performance.now() - t0;
  expect(ms, `took ${ms.toFixed(0)} ms`).toBeLessThan(timeMs);
  return outcome;
}

/** Values that break assumptions about a JSON field: signs, zero, huge, wrong types. */
const HOSTILE_VALUES: readonly unknown[] = [-1, 0, 1, 0.5, 1e12, 2 ** 53, -(2 ** 31), '', 'x', null, true, [], {}, [0], [[1, 2]], { a: 1 }];

function jsonPaths(value: unknown, prefix: readonly (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = Array.isArray(value) ? Number(k) : k;
      out.push([...prefix, key]);
      jsonPaths(v, [...prefix, key], out);
    }
  }
  return out;
}

function setPath(root: unknown, path: readonly (string | number)[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && !Array.isArray(node)) delete node[last];
  else node[last] = structuredClone(value);
  return copy;
}

/**
 * Field-level mutations of a JSON document ("header edits"): one to three fields, anywhere in the
 * tree, replaced by a hostile value (negative, zero, huge, wrong type) or removed. Unlike byte
 * mutations, these stay valid JSON, so they reach the parser behind `JSON.parse`.
 *
 * @param base - a valid document (e.g. a parsed config.json)
 * @returns an arbitrary of mutated copies
 */
export function mutatedJson(base: unknown): fc.Arbitrary<unknown> {
  const paths = jsonPaths(base);
  if (paths.length === 0) return fc.constant(base);
  const edit = fc.record({ path: fc.integer({ min: 0, max: paths.length - 1 }), value: fc.constantFrom(...HOSTILE_VALUES), remove: fc.boolean() });
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let doc = base;
    for (const e of edits) {
      const path = paths[e.path]!;
      try {
        doc = setPath(doc, path, e.value, e.remove);
      } catch {
        // an earlier edit removed or replaced this field's parent: skip
      }
    }
    return doc;
  });
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) body[i] = type.charCodeAt(i);
  body.set(data, 4);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return out;
}

/**
 * A tiny PNG whose header claims `width × height` RGB pixels (one compressed row of data follows): a "PNG bomb"
 * for tests of pixel limits read from the header.
 *
 * @example
 * ```ts
 * const bomb = pngClaiming(16383, 16383); // < 20 KB, claims 268 megapixels
 * ```
 */
export function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = new Uint8Array(deflateSync(new Uint8Array(1 + 3 * Math.min(width, 4096))));
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
