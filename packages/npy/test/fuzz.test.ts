import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParams, mutatedBytes, typedOrValid } from '@resprune/test-backends/fuzz';
import { readNpy, readNpyFile, toFloat32, writeNpy } from '../src/index.js';
import { fixture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-npy-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Valid files to start from: NumPy's own (Fortran order, big-endian, int64) and ours. */
const BASES = [
  writeNpy(Float32Array.from({ length: 24 }, (_, i) => i / 7), [4, 6]),
  fixture('i4-fortran-2x3x4.npy'),
  fixture('f8-3.npy'),
];

describe('fuzz: mutated .npy files end in a typed error or a valid array, fast', () => {
  it.each(BASES.map((b, i) => [i, b] as const))('base %i', async (_, base) => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutatedBytes(base, 128), async (bytes) => {
        const outcome = await typedOrValid(() => {
          const a = readNpy(bytes);
          // A valid result is self-consistent: the shape's product is the element count.
          expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
          if (a.dtype !== 'b1') toFloat32(a);
        }, 1000);
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }),
      fuzzParams(`npy base ${_}`, 300),
    );
    // The mutations reach the parser's error paths, not only its happy path.
    expect([...seen.keys()].some((k) => k !== 'ok')).toBe(true);
  });

  it('from disk too: readNpyFile on mutated files', async () => {
    const file = join(dir, 'm.npy');
    await fc.assert(
      fc.asyncProperty(mutatedBytes(BASES[0]!, 128), async (bytes) => {
        writeFileSync(file, bytes);
        await typedOrValid(() => readNpyFile(file), 1000);
      }),
      fuzzParams('npy file', 60),
    );
  });
});
