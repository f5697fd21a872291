import { ResPruneError } from '@resprune/errors';
import { gather, tensor1d, tidy, type Tensor2D } from '@tensorflow/tfjs-core';

/** Element type of an {@link EmbeddingTable}'s `data`. */
export type EmbeddingDtype = 'float32' | 'float16' | 'bfloat16';

/**
 * An LLM input-embedding table (`embed_tokens.weight`), row-major `[vocabSize, d]`, held in
 * memory. Half-precision tables stay half precision: only the rows that are looked up are widened
 * to float32, so a 32064 × 4096 float16 table costs 256 MiB, not 512 MiB.
 *
 * @example
 * ```ts
 * const table: EmbeddingTable = { data: new Float32Array(32000 * 4096), vocabSize: 32000, d: 4096 };
 * const half: EmbeddingTable = { data: new Uint16Array(bytes.buffer), vocabSize: 152064, d: 3584, dtype: 'bfloat16' };
 * ```
 */
export interface EmbeddingTable {
  /** `vocabSize * d` values; a `Uint16Array` holds IEEE float16 or bfloat16 bit patterns. */
  readonly data: Float32Array | Uint16Array;
  /** Number of rows. May exceed the tokenizer's vocabulary (checkpoints pad it, e.g. 32064 or 152064). */
  readonly vocabSize: number;
  /** Hidden size (row length). */
  readonly d: number;
  /** Element type. Default `'float32'`; required (`'float16'` or `'bfloat16'`) for a `Uint16Array`. */
  readonly dtype?: EmbeddingDtype;
}

/**
 * A row lookup: returns the embedding row of a token id (length `d`, the same for every id). Use
 * it to read rows lazily, for instance from a safetensors file, without holding the table. Errors
 * it throws reach the caller unchanged.
 *
 * @example
 * ```ts
 * const lookup: EmbeddingLookup = (id) => table.subarray(id * d, (id + 1) * d);
 * ```
 */
export type EmbeddingLookup = (id: number) => Float32Array;

/**
 * Where embedding rows come from: an in-memory {@link EmbeddingTable}, a row
 * {@link EmbeddingLookup}, or a float32 `tf.Tensor2D` of shape `[vocabSize, d]` (only the needed
 * rows are gathered and read back; no tensor is left behind).
 */
export type EmbeddingSource = EmbeddingTable | EmbeddingLookup | Tensor2D;

/** Reads rows by id; built once per call from an {@link EmbeddingSource}. */
export interface RowReader {
  /** Row length, or `undefined` until a lookup function has returned a row. */
  readonly d: number | undefined;
  /** Rows for the given ids, in order (ids are already range-checked where a size is known). */
  rows(ids: readonly number[]): Float32Array[];
  /** Number of rows, when known. */
  readonly vocabSize: number | undefined;
}

function isTensorLike(v: unknown): v is Tensor2D {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as { shape?: unknown }).shape) &&
    typeof (v as { dtype?: unknown }).dtype === 'string' &&
    typeof (v as { dataSync?: unknown }).dataSync === 'function'
  );
}

function positiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

const F16_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac === 0 ? sign * Infinity : NaN;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

/** Widens float16 bit patterns to float32. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = F16_TABLE[bits[i]!]!;
  return out;
}

/** Widens bfloat16 bit patterns to float32 (exact: bfloat16 is the top half of a float32). */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const u32 = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i]! << 16;
  return new Float32Array(u32.buffer);
}

function tableReader(table: EmbeddingTable): RowReader {
  const { data, vocabSize, d } = table;
  if (!positiveInt(vocabSize) || !positiveInt(d)) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `textVectors: embeddings.vocabSize and embeddings.d must be positive integers, got vocabSize=${String(vocabSize)}, d=${String(d)}.`,
    );
  }
  const dtype = table.dtype ?? (data instanceof Uint16Array ? undefined : 'float32');
  if (data instanceof Float32Array) {
    if (dtype !== 'float32') {
      throw new ResPruneError('E_DTYPE', `textVectors: embeddings.data is a Float32Array but dtype is ${JSON.stringify(dtype)}; use 'float32' or omit it.`);
    }
  } else if (data instanceof Uint16Array) {
    if (dtype !== 'float16' && dtype !== 'bfloat16') {
      throw new ResPruneError(
        'E_DTYPE',
        `textVectors: embeddings.data is a Uint16Array, so embeddings.dtype must be 'float16' or 'bfloat16', got ${JSON.stringify(dtype)}.`,
      );
    }
  } else {
    const kind = data === null || data === undefined ? String(data) : ((data as object).constructor?.name ?? typeof data);
    throw new ResPruneError(
      'E_DTYPE',
      `textVectors: embeddings.data must be a Float32Array (float32) or a Uint16Array (float16/bfloat16 bits), got ${kind}.`,
    );
  }
  if (data.length !== vocabSize * d) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `textVectors: embeddings.data has ${data.length} values but vocabSize × d = ${vocabSize} × ${d} = ${vocabSize * d}.`,
      { details: { expected: vocabSize * d, received: data.length } },
    );
  }
  return {
    d,
    vocabSize,
    rows(ids) {
      return ids.map((id) => {
        const raw = data.subarray(id * d, (id + 1) * d);
        if (raw instanceof Float32Array) return raw;
        return dtype === 'float16' ? float16ToFloat32(raw) : bfloat16ToFloat32(raw);
      });
    },
  };
}

function lookupReader(lookup: EmbeddingLookup): RowReader {
  let d: number | undefined;
  return {
    get d() {
      return d;
    },
    vocabSize: undefined,
    rows(ids) {
      return ids.map((id) => {
        const row: unknown = lookup(id);
        if (!(row instanceof Float32Array)) {
          const kind = row === null || row === undefined ? String(row) : ((row as object).constructor?.name ?? typeof row);
          throw new ResPruneError(
            'E_DTYPE',
            `textVectors: the embeddings lookup returned ${kind} for id ${id}; it must return a Float32Array row.`,
            { details: { id } },
          );
        }
        if (d === undefined) {
          if (row.length === 0) throw new ResPruneError('E_SHAPE_MISMATCH', `textVectors: the embeddings lookup returned an empty row for id ${id}.`);
          d = row.length;
        } else if (row.length !== d) {
          throw new ResPruneError(
            'E_SHAPE_MISMATCH',
            `textVectors: the embeddings lookup returned a row of length ${row.length} for id ${id}, but earlier rows had length ${d}.`,
            { details: { id, expected: d, received: row.length } },
          );
        }
        return row;
      });
    },
  };
}

function tensorReader(table: Tensor2D): RowReader {
  if (table.isDisposed) throw new ResPruneError('E_INVALID_OPTION', 'textVectors: the embeddings tensor has been disposed.');
  if (table.rank !== 2) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `textVectors: the embeddings tensor must be [vocabSize, d], got shape [${table.shape.join(', ')}].`);
  }
  if (table.dtype !== 'float32') {
    throw new ResPruneError('E_DTYPE', `textVectors: the embeddings tensor must be float32, got ${table.dtype}.`);
  }
  const [vocabSize, d] = table.shape;
  if (!positiveInt(vocabSize) || !positiveInt(d)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `textVectors: the embeddings tensor has an empty shape [${table.shape.join(', ')}].`);
  }
  return {
    d,
    vocabSize,
    rows(ids) {
      if (ids.length === 0) return [];
      const picked = tidy(() => gather(table, tensor1d(Int32Array.from(ids), 'int32')));
      try {
        const flat = picked.dataSync() as Float32Array;
        return ids.map((_, i) => flat.subarray(i * d, (i + 1) * d));
      } finally {
        picked.dispose();
      }
    },
  };
}

/**
 * Checks an {@link EmbeddingSource} and returns a reader over its rows.
 *
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH`, `E_DTYPE` or `E_INVALID_OPTION` for a bad source
 */
export function rowReader(source: EmbeddingSource): RowReader {
  if (typeof source === 'function') return lookupReader(source);
  if (isTensorLike(source)) return tensorReader(source);
  if (typeof source === 'object' && source !== null && 'data' in source) return tableReader(source);
  throw new ResPruneError(
    'E_INVALID_OPTION',
    'textVectors: embeddings must be a table { data, vocabSize, d, dtype? }, a lookup function (id) => Float32Array, or a float32 tf.Tensor2D [vocabSize, d].',
  );
}
