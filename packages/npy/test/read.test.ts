import { describe, expect, it } from 'vitest';
import { decodeFloat16, readNpy, toFloat32, toFloat64 } from '../src/index.js';
import { fixture } from './helpers.js';

// Expected values repeat those in fixtures/generate.py (written by NumPy 2.4).
describe('readNpy on files written by NumPy', () => {
  it('float32 2x3, C order, version 1.0', () => {
    const a = readNpy(fixture('f4-2x3.npy'));
    expect(a.dtype).toBe('f4');
    expect(a.shape).toEqual([2, 3]);
    expect(a.fortranOrder).toBe(false);
    expect(a.version).toBe('1.0');
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
  });

  it('float64 keeps full precision', () => {
    const a = readNpy(fixture('f8-3.npy'));
    expect(a.dtype).toBe('f8');
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([Math.PI, -Math.E, 1e300]);
  });

  it('float16 bits decode exactly, including subnormals, infinities and NaN', () => {
    const a = readNpy(fixture('f2-specials.npy'));
    expect(a.dtype).toBe('f2');
    expect(a.data).toBeInstanceOf(Uint16Array);
    const x = toFloat32(a);
    const expected = [0, -0, 1, -2, 65504, 2 ** -14, 2 ** -24, Infinity, -Infinity, NaN, 0.0999755859375, 0.333251953125];
    expect(x.length).toBe(expected.length);
    expected.forEach((v, i) => expect(Object.is(x[i], v) || (Number.isNaN(v) && Number.isNaN(x[i]))).toBe(true));
    expect(Object.is(x[1], -0)).toBe(true);
    const y = toFloat64(a);
    expect(y).toBeInstanceOf(Float64Array);
    expect(y[10]).toBe(0.0999755859375);
    expect(y[6]).toBe(2 ** -24);
  });

  it('decodeFloat16 handles the raw bit patterns', () => {
    expect(Array.from(decodeFloat16(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0xfc00])))).toEqual([
      1, -2, 65504, 2 ** -24, -0, -Infinity,
    ]);
    expect(Number.isNaN(decodeFloat16(new Uint16Array([0x7e00]))[0])).toBe(true);
  });

  it.each([
    ['i1-3.npy', 'i1', Int8Array, [-128, 0, 127]],
    ['u1-4.npy', 'u1', Uint8Array, [0, 1, 128, 255]],
    ['i2-3.npy', 'i2', Int16Array, [-32768, 1, 32767]],
    ['u2-3.npy', 'u2', Uint16Array, [0, 1, 65535]],
    ['u4-2.npy', 'u4', Uint32Array, [0, 2 ** 32 - 1]],
    ['b1-4.npy', 'b1', Uint8Array, [1, 0, 0, 1]],
  ] as const)('%s → %s', (name, dtype, Ctor, values) => {
    const a = readNpy(fixture(name));
    expect(a.dtype).toBe(dtype);
    expect(a.data).toBeInstanceOf(Ctor);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual(values);
    expect(Array.from(toFloat64(a))).toEqual(values);
  });

  it('int32 3-D keeps row-major order', () => {
    const a = readNpy(fixture('i4-2x2x2.npy'));
    expect(a.dtype).toBe('i4');
    expect(a.shape).toEqual([2, 2, 2]);
    expect(Array.from(a.data as Int32Array)).toEqual([1, -2, 3, -4, 2 ** 31 - 1, -(2 ** 31), 0, 7]);
  });

  it('int64 and uint64 come back as BigInt arrays, exactly', () => {
    const a = readNpy(fixture('i8-3.npy'));
    expect(a.dtype).toBe('i8');
    expect(Array.from(a.data as BigInt64Array)).toEqual([-(2n ** 63n), 42n, 2n ** 53n + 1n]);
    expect(Array.from(toFloat64(a))).toEqual([-(2 ** 63), 42, 2 ** 53]); // rounded to the nearest double
    const b = readNpy(fixture('u8-2.npy'));
    expect(Array.from(b.data as BigUint64Array)).toEqual([0n, 2n ** 64n - 1n]);
  });

  it('big-endian files are converted to host order', () => {
    const a = readNpy(fixture('f4-be-2x2.npy'));
    expect(a.dtype).toBe('f4');
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([1.5, -2.25, 3, Math.fround(1e-3)]);
    const b = readNpy(fixture('i8-be-2.npy'));
    expect(Array.from(b.data as BigInt64Array)).toEqual([-5n, 2n ** 40n]);
  });

  it('Fortran-order files are transposed into row-major data and flagged', () => {
    const a = readNpy(fixture('f8-fortran-3x4.npy'));
    expect(a.fortranOrder).toBe(true);
    expect(a.shape).toEqual([3, 4]);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const b = readNpy(fixture('i4-fortran-2x3x4.npy'));
    expect(b.fortranOrder).toBe(true);
    expect(b.shape).toEqual([2, 3, 4]);
    expect(Array.from(b.data as Int32Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('reads format versions 2.0 and 3.0', () => {
    const a = readNpy(fixture('f4-v2.npy'));
    expect(a.version).toBe('2.0');
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([1, 2, 3, 4]);
    const b = readNpy(fixture('f4-v3.npy'));
    expect(b.version).toBe('3.0');
    expect(Array.from(b.data as ArrayLike<number>)).toEqual([5, 6, 7]);
  });

  it('0-d, empty and many-dimensional arrays', () => {
    const s = readNpy(fixture('f4-scalar.npy'));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as ArrayLike<number>)).toEqual([3.5]);
    const e = readNpy(fixture('f4-0x3.npy'));
    expect(e.shape).toEqual([0, 3]);
    expect(e.data.length).toBe(0);
    const m = readNpy(fixture('f4-15d.npy'));
    expect(m.shape).toEqual(new Array(15).fill(1));
    expect(Array.from(m.data as ArrayLike<number>)).toEqual([2]);
  });

  it('returns a copy that does not alias the input, even from a misaligned view', () => {
    const file = fixture('f4-2x3.npy');
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const view = shifted.subarray(1); // byteOffset 1: not 4-byte aligned
    const a = readNpy(view);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
    expect(a.data.buffer).not.toBe(shifted.buffer);
    (a.data as Float32Array)[0] = 99;
    expect(readNpy(view).data[0]).toBe(-1);
  });

  it('reads a Node Buffer without aliasing its pool', () => {
    const a = readNpy(Buffer.from(fixture('f8-3.npy')));
    expect(a.data.byteOffset).toBe(0);
    expect(a.data.buffer.byteLength).toBe(24);
  });

  it('toFloat32 returns float32 data itself and converts the rest', () => {
    const a = readNpy(fixture('f4-2x3.npy'));
    expect(toFloat32(a)).toBe(a.data);
    const b = readNpy(fixture('f8-3.npy'));
    const x = toFloat32(b);
    expect(x).toBeInstanceOf(Float32Array);
    expect(x[0]).toBe(Math.fround(Math.PI));
    expect(x[2]).toBe(Infinity); // 1e300 overflows float32, as numpy's astype does
    expect(toFloat64(b)).toBe(b.data);
  });
});
