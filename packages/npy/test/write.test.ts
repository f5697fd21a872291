import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy, type NpyWritable } from '../src/index.js';
import { expectError, fixture } from './helpers.js';

describe('writeNpy', () => {
  // Each fixture was written by numpy.save (fixtures/generate.py); the bytes must match exactly.
  it.each([
    ['f4-2x3.npy', new Float32Array([-1, -0.5, 0, 0.5, 1, 1.5]), [2, 3]],
    ['f8-3.npy', new Float64Array([Math.PI, -Math.E, 1e300]), [3]],
    ['i4-2x2x2.npy', new Int32Array([1, -2, 3, -4, 2 ** 31 - 1, -(2 ** 31), 0, 7]), [2, 2, 2]],
    ['u1-4.npy', new Uint8Array([0, 1, 128, 255]), [4]],
    ['f4-scalar.npy', new Float32Array([3.5]), []],
    ['f4-0x3.npy', new Float32Array(0), [0, 3]],
    ['f4-12345x0.npy', new Float32Array(0), [12345, 0]],
    ['f4-15d.npy', new Float32Array([2]), new Array<number>(15).fill(1)],
  ] as const)('matches numpy.save byte for byte: %s', (name, data, shape) => {
    const ours = writeNpy(data as NpyWritable, shape);
    const theirs = fixture(name);
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('aligns the data to 64 bytes and writes version 1.0', () => {
    for (const shape of [[1], [7, 3], [100000, 0], [2, 3, 4, 5, 0]]) {
      const bytes = writeNpy(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
      const headerLength = bytes[8]! | (bytes[9]! << 8);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes[6]).toBe(1);
      expect(bytes[10 + headerLength - 1]).toBe(0x0a); // '\n'
    }
  });

  it('round-trips random data of every writable type and several shapes', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const shapes = [[], [1], [5], [3, 4], [2, 3, 4], [1, 1, 7], [4, 0, 2]];
    for (const shape of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const cases: NpyWritable[] = [
        Float32Array.from({ length: n }, () => (rand() - 0.5) * 1e6),
        Float64Array.from({ length: n }, () => (rand() - 0.5) * 1e-200),
        Int32Array.from({ length: n }, () => Math.floor((rand() - 0.5) * 2 ** 32)),
        Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)),
      ];
      for (const data of cases) {
        const back = readNpy(writeNpy(data, shape));
        expect(back.shape).toEqual(shape);
        expect(back.fortranOrder).toBe(false);
        expect(back.data.constructor).toBe(data.constructor);
        expect(Array.from(back.data as ArrayLike<number>)).toEqual(Array.from(data));
      }
    }
  });

  it('keeps NaN, ±Infinity and -0 bit for bit', () => {
    const data = new Float32Array([NaN, Infinity, -Infinity, -0, Number.MIN_VALUE]);
    const back = readNpy(writeNpy(data, [5]));
    expect(new Uint8Array(back.data.buffer)).toEqual(new Uint8Array(data.buffer));
  });

  it('writes only the viewed part of a subarray', () => {
    const whole = new Float64Array([9, 1, 2, 3, 9]);
    const back = readNpy(writeNpy(whole.subarray(1, 4), [3]));
    expect(Array.from(back.data as ArrayLike<number>)).toEqual([1, 2, 3]);
  });

  it('rejects a shape that does not match the data', () => {
    expectError(() => writeNpy(new Float32Array(6), [2, 2]), 'E_SHAPE_MISMATCH', /\[2, 2\] holds 4 elements but data has 6/);
    expect(() => writeNpy(new Float32Array(1), [])).not.toThrow();
    expectError(() => writeNpy(new Float32Array(2), [2.5]), 'E_SHAPE_MISMATCH', /non-negative integer/);
    expectError(() => writeNpy(new Float32Array(0), [-1, 0]), 'E_SHAPE_MISMATCH', /non-negative integer/);
    expectError(() => writeNpy(new Float32Array(2), [NaN]), 'E_SHAPE_MISMATCH', /non-negative integer/);
    expectError(() => writeNpy(new Float32Array(2), '2' as unknown as number[]), 'E_SHAPE_MISMATCH', /shape must be an array/);
  });

  it('rejects element types it cannot write', () => {
    expectError(() => writeNpy(new Int16Array(2) as unknown as Float32Array, [2]), 'E_DTYPE', /Int16Array/);
    expectError(() => writeNpy([1, 2] as unknown as Float32Array, [2]), 'E_DTYPE', /Float32Array.*got Array/);
    expectError(() => writeNpy(null as unknown as Float32Array, [0]), 'E_DTYPE', /got null/);
  });
});
