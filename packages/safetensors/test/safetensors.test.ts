import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import {
  decodeToFloat32,
  encodeFromFloat32,
  openSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectCode(fn: () => unknown, code: string, mention?: string): void {
  try {
    fn();
  } catch (e) {
    expect(isResPruneError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    if (mention !== undefined) expect((e as Error).message).toContain(mention);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** Builds a raw safetensors file from a header object and a data section. */
function rawFile(name: string, header: unknown, data: Uint8Array): string {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, data]));
  return path;
}

describe('safetensors', () => {
  it('round-trips F32, F16 and BF16 with the reference byte layout', () => {
    const values = new Float32Array([0, 1, -2.5, 65504, 1e-3, -0.1, 3.140625]);
    const path = join(dir, 'rt.safetensors');
    writeSafetensors(
      path,
      new Map([
        ['a.f32', { shape: [7], data: values }],
        ['b.f16', { shape: [7, 1], data: values, dtype: 'F16' }],
        ['c.bf16', { shape: [1, 7], data: values, dtype: 'BF16' }],
      ]),
    );
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    const h = readSafetensorsHeader(path);
    expect([...h.tensors.keys()]).toEqual(['a.f32', 'b.f16', 'c.bf16']);
    expect(h.metadata).toEqual({ format: 'pt' });
    const r = openSafetensors(path);
    try {
      expect(Array.from(r.readFloat32('a.f32'))).toEqual(Array.from(values));
      const f16 = r.readFloat32('b.f16');
      const bf16 = r.readFloat32('c.bf16');
      for (let i = 0; i < values.length; i++) {
        expect(Math.abs(f16[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -11 + 6e-8);
        expect(Math.abs(bf16[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -8);
      }
    } finally {
      r.close();
    }
  });

  it('decodes known F16 and BF16 bit patterns exactly', () => {
    // F16: 1.0 = 0x3c00, -2 = 0xc000, smallest subnormal 0x0001 = 2^-24, +inf 0x7c00
    const f16 = decodeToFloat32(new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]), 'F16');
    expect(Array.from(f16)).toEqual([1, -2, 2 ** -24, Infinity]);
    // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00
    const bf16 = decodeToFloat32(new Uint8Array([0x80, 0x3f, 0x00, 0xbf]), 'BF16');
    expect(Array.from(bf16)).toEqual([1, -0.5]);
    expect(Array.from(encodeFromFloat32(new Float32Array([1, -2]), 'F16'))).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expectCode(() => decodeToFloat32(new Uint8Array(8), 'I64'), 'E_DTYPE');
  });

  it('rejects a missing file with E_FILE_NOT_FOUND', () => {
    expectCode(() => readSafetensorsHeader(join(dir, 'nope.safetensors')), 'E_FILE_NOT_FOUND', 'nope.safetensors');
  });

  it('rejects a file shorter than the length field as truncated', () => {
    const p = join(dir, 'short.safetensors');
    writeFileSync(p, Buffer.from([1, 2, 3]));
    expectCode(() => readSafetensorsHeader(p), 'E_FILE_CORRUPT', 'short.safetensors');
  });

  it('rejects a header longer than the file as truncated', () => {
    const p = join(dir, 'hdr.safetensors');
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(1000n);
    writeFileSync(p, b);
    expectCode(() => readSafetensorsHeader(p), 'E_FILE_CORRUPT', 'truncated');
  });

  it('rejects an absurd header length and non-JSON headers with E_SAFETENSORS', () => {
    const p = join(dir, 'huge.safetensors');
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(1n << 40n);
    writeFileSync(p, b);
    expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS');
    const q = join(dir, 'notjson.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(5n);
    writeFileSync(q, Buffer.concat([len, Buffer.from('{oops')]));
    expectCode(() => readSafetensorsHeader(q), 'E_SAFETENSORS', 'JSON');
  });

  it('rejects unknown dtypes, bad shapes and spans that do not match the shape', () => {
    const data = new Uint8Array(16);
    expectCode(() => readSafetensorsHeader(rawFile('dt.safetensors', { x: { dtype: 'F7', shape: [4], data_offsets: [0, 16] } }, data)), 'E_SAFETENSORS', '"x"');
    expectCode(() => readSafetensorsHeader(rawFile('sh.safetensors', { x: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data)), 'E_SAFETENSORS');
    expectCode(() => readSafetensorsHeader(rawFile('sp.safetensors', { x: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data)), 'E_SAFETENSORS', 'needs 12 bytes');
    expectCode(() => readSafetensorsHeader(rawFile('off.safetensors', { x: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } }, data)), 'E_SAFETENSORS');
  });

  it('rejects overlapping tensors', () => {
    const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expectCode(() => readSafetensorsHeader(rawFile('ov.safetensors', header, new Uint8Array(12))), 'E_SAFETENSORS', 'overlap');
  });

  it('rejects offsets past the end of the file (a truncated data section), naming the tensor', () => {
    const path = join(dir, 'trunc.safetensors');
    writeSafetensors(path, new Map([['w', { shape: [64], data: new Float32Array(64) }]]));
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 10));
    try {
      readSafetensorsHeader(path);
      throw new Error('no error');
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_FILE_CORRUPT');
      expect((e as { details: { tensor: string; file: string } }).details).toMatchObject({ tensor: 'w', file: path });
    }
  });

  it('reports an unknown tensor name as E_TENSOR_MISSING and non-float dtypes as E_DTYPE', () => {
    const path = rawFile('ints.safetensors', { i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16));
    const r = openSafetensors(path);
    try {
      expectCode(() => r.readFloat32('missing'), 'E_TENSOR_MISSING', 'missing');
      expectCode(() => r.readFloat32('i'), 'E_DTYPE', 'I64');
    } finally {
      r.close();
    }
  });
});
