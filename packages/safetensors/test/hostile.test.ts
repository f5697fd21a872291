import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError } from '@resprune/test-backends';
import { fuzzParams, mutatedBytes, mutatedJson, typedOrValid } from '@resprune/test-backends/fuzz';
import { openSafetensors, readSafetensorsHeader, writeSafetensors } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-safetensors-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weights(name: string, values: Float32Array, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): string {
  const path = join(dir, name);
  writeSafetensors(path, new Map([['ok', { shape: [2], data: new Float32Array([1, 2]) }], ['w', { shape: [values.length], data: values, dtype }]]));
  return path;
}

describe('safetensors: input that never ends or never arrives', () => {
  it('a FIFO with no writer and /dev/zero are refused at once, without being opened', () => {
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    expectError(() => readSafetensorsHeader(fifo), 'E_FILE_NOT_FOUND', /FIFO/);
    expectError(() => openSafetensors(fifo), 'E_FILE_NOT_FOUND', /FIFO/);
    expectError(() => openSafetensors('/dev/zero'), 'E_FILE_NOT_FOUND', /character device/);
    expectError(() => readSafetensorsHeader(dir), 'E_FILE_NOT_FOUND', /directory/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('safetensors: broken weights (requireFinite)', () => {
  it.each(['F32', 'F16', 'BF16'] as const)('NaN and ±Infinity in %s weights: E_NON_FINITE naming tensor, file and element', (dtype) => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const path = weights(`bad-${dtype}.safetensors`, new Float32Array([0.5, -1, bad, 2]), dtype);
      const r = openSafetensors(path);
      try {
        expect(Array.from(r.readFloat32('ok', { requireFinite: true }))).toEqual([1, 2]);
        expect(r.readFloat32('w').length).toBe(4); // unchecked by default
        let thrown: unknown;
        try {
          r.readFloat32('w', { requireFinite: true });
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toMatchObject({ code: 'E_NON_FINITE', details: { file: path, tensor: 'w', index: 2 } });
        expect((thrown as Error).message).toMatch(/tensor "w" holds (NaN|-?Infinity) at element 2/);
      } finally {
        r.close();
      }
    }
  });
});

describe('safetensors: atomic writes', () => {
  it('a failed write is E_WRITE and leaves no file behind', () => {
    expectError(() => writeSafetensors(join(dir, 'no-folder', 'w.safetensors'), new Map([['w', { shape: [1], data: new Float32Array(1) }]])), 'E_WRITE', /folder does not exist/);
    expectError(() => writeSafetensors('/dev/full', new Map([['w', { shape: [1], data: new Float32Array(1) }]])), 'E_WRITE', /not a regular file/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('fuzz: mutated safetensors files end in a typed error or valid tensors, fast', () => {
  it('header and data mutations', async () => {
    const base = readFileSync(weights('base.safetensors', Float32Array.from({ length: 12 }, (_, i) => i - 5.5), 'BF16'));
    const headerBytes = 8 + Number(base.readBigUInt64LE(0));
    const file = join(dir, 'fuzz.safetensors');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedBytes(new Uint8Array(base), headerBytes), async (bytes) => {
        writeFileSync(file, bytes);
        seen.add(
          await typedOrValid(() => {
            const r = openSafetensors(file);
            try {
              for (const [name, entry] of r.header.tensors) {
                const values = r.readFloat32(name, { requireFinite: true });
                expect(values.length).toBe(entry.shape.reduce((a, b) => a * b, 1));
              }
            } finally {
              r.close();
            }
          }, 1000),
        );
      }),
      fuzzParams('safetensors', 300),
    );
    expect(seen.size).toBeGreaterThan(1);
  });

  it('field-level header edits (valid JSON: hostile dtypes, shapes, offsets)', async () => {
    const base = readFileSync(weights('fields.safetensors', Float32Array.from({ length: 6 }, (_, i) => i), 'F16'));
    const headerLength = Number(base.readBigUInt64LE(0));
    const header = JSON.parse(base.subarray(8, 8 + headerLength).toString('utf8')) as unknown;
    const data = base.subarray(8 + headerLength);
    const file = join(dir, 'fields-fuzz.safetensors');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedJson(header), async (edited) => {
        const json = Buffer.from(JSON.stringify(edited), 'utf8');
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(json.length));
        writeFileSync(file, Buffer.concat([len, json, data]));
        seen.add(
          await typedOrValid(() => {
            const r = openSafetensors(file);
            try {
              for (const name of r.header.tensors.keys()) r.readFloat32(name, { requireFinite: true });
            } finally {
              r.close();
            }
          }, 1000),
        );
      }),
      fuzzParams('safetensors header fields', 300),
    );
    expect([...seen].some((c) => c.startsWith('E_'))).toBe(true);
  });
});
