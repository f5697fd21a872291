import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/index.js';
import { expectError, fixture, makeNpy } from './helpers.js';

const F4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
const EIGHT = new Uint8Array(8);

describe('readNpy rejects corrupt files with typed errors', () => {
  it('bad magic, too short, not bytes', () => {
    const bad = fixture('f4-2x3.npy');
    bad[1] = 0x4f; // 'O' instead of 'N'
    expectError(() => readNpy(bad), 'E_NPY_FORMAT', /magic string/);
    expectError(() => readNpy(new Uint8Array(0)), 'E_NPY_FORMAT', /only 0 bytes/);
    expectError(() => readNpy(fixture('f4-2x3.npy').subarray(0, 7)), 'E_NPY_FORMAT', /only 7 bytes/);
    expectError(() => readNpy(new TextEncoder().encode('hello, this is a text file')), 'E_NPY_FORMAT', /not a \.npy file/);
    expectError(() => readNpy('x.npy' as unknown as Uint8Array), 'E_NPY_FORMAT', /Uint8Array, got string/);
  });

  it('unsupported versions', () => {
    const v4 = fixture('f4-2x3.npy');
    v4[6] = 4;
    expectError(() => readNpy(v4), 'E_NPY_FORMAT', /version 4\.0 \(supported: 1\.0, 2\.0, 3\.0\)/);
    const v11 = fixture('f4-2x3.npy');
    v11[7] = 1;
    expectError(() => readNpy(v11), 'E_NPY_FORMAT', /version 1\.1/);
  });

  it('truncated header and truncated data', () => {
    const file = fixture('f4-2x3.npy');
    expectError(() => readNpy(file.subarray(0, 60)), 'E_NPY_FORMAT', /truncated: the header claims 118 bytes but only 50 follow/);
    expectError(() => readNpy(file.subarray(0, file.length - 1)), 'E_NPY_FORMAT', /truncated: shape \[2, 3\] of '<f4' needs 24 data bytes, but only 23/);
    expectError(() => readNpy(file.subarray(0, 128)), 'E_NPY_FORMAT', /needs 24 data bytes, but only 0/);
    expectError(() => readNpy(makeNpy(F4, new Uint8Array(0), 2).subarray(0, 11)), 'E_NPY_FORMAT', /header length field/);
  });

  it('trailing bytes after the data', () => {
    expectError(() => readNpy(makeNpy(F4, new Uint8Array(9))), 'E_NPY_FORMAT', /1 extra bytes follow the data/);
  });

  it('malformed header text', () => {
    const cases: [string, RegExp][] = [
      ['', /expected '\{'/],
      ["descr: '<f4'", /expected '\{'/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", /expected '\}'|expected a string/],
      ["{'descr': '<f4', 'fortran_order': False 'shape': (2,)}", /expected ',' or '\}'/],
      ["{'descr: '<f4'}", /expected ':'/],
      ["{'descr': '<f4}", /unterminated string/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", /end of header after the dictionary/],
      ["{'descr': '<f4', 'shape': (2,)}", /exactly the keys .* got 'descr', 'shape'/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", /got 'descr', 'extra', 'fortran_order', 'shape'/],
      ["{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", /key 'descr' appears twice/],
      ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", /'fortran_order' must be True or False/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", /'shape' must be a tuple of integers/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'a')}", /'shape' must be a tuple of integers/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", /negative dimension/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", /too large/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", /too large/],
      ["{'descr': 4, 'fortran_order': False, 'shape': (2,)}", /'descr' must be a string/],
      ["{4: '<f4'}", /keys must be strings/],
      ["{'descr': @}", /expected a string, number, tuple/],
    ];
    for (const [header, message] of cases) expectError(() => readNpy(makeNpy(header, EIGHT)), 'E_NPY_FORMAT', message);
  });

  it('accepts header variants NumPy accepts: double quotes, Python 2 longs, no trailing comma', () => {
    const a = readNpy(makeNpy('{"descr": "<f4", "fortran_order": False, "shape": (2L,)}\n', EIGHT));
    expect(a.shape).toEqual([2]);
  });

  it('a version 3.0 header must be UTF-8', () => {
    const bytes = makeNpy(F4, EIGHT, 3);
    bytes[13] = 0xff; // inside 'descr'
    expectError(() => readNpy(bytes), 'E_NPY_FORMAT', /must be valid UTF-8/);
  });

  it('unsupported element types give E_DTYPE with the reason', () => {
    expectError(() => readNpy(fixture('object.npy')), 'E_DTYPE', /'\|O': object arrays/);
    expectError(() => readNpy(fixture('unicode.npy')), 'E_DTYPE', /'<U2': unicode string arrays/);
    expectError(() => readNpy(fixture('complex.npy')), 'E_DTYPE', /'<c8': complex arrays/);
    expectError(() => readNpy(fixture('structured.npy')), 'E_DTYPE', /structured \(record\) dtypes/);
    expectError(() => readNpy(fixture('datetime.npy')), 'E_DTYPE', /'<M8\[D\]': datetime64/);
    const header = (descr: string): Uint8Array => makeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, EIGHT);
    expectError(() => readNpy(header('<f3')), 'E_DTYPE', /'<f3' is not supported \(supported: b1, i1/);
    expectError(() => readNpy(header('<f16')), 'E_DTYPE', /'<f16' is not supported/);
    expectError(() => readNpy(header('f4')), 'E_DTYPE', /no explicit byte order/);
    expectError(() => readNpy(header('=f4')), 'E_DTYPE', /no explicit byte order/);
    expectError(() => readNpy(header('|i4')), 'E_DTYPE', /no explicit byte order/);
    expectError(() => readNpy(header('')), 'E_DTYPE', /'' is not supported/);
  });
});
