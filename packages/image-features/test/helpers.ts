import { expect } from 'vitest';
import type { ErrorCode } from '@resprune/errors';

/** Asserts that the promise rejects with a ResPruneError of `code` whose message matches `message`. */
export async function expectRejection(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  const thrown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(thrown, 'expected a rejection').toBeInstanceOf(Error);
  expect(thrown).toMatchObject({ name: 'ResPruneError', code });
  expect((thrown as Error).message).toMatch(message);
}

/** Synchronous variant of {@link expectRejection}. */
export function expectError(fn: () => unknown, code: ErrorCode, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected an error').toBeInstanceOf(Error);
  expect(thrown).toMatchObject({ name: 'ResPruneError', code });
  expect((thrown as Error).message).toMatch(message);
}

/** Cosine similarity of rows `i` of `a` and `j` of `b`, both `[n, d]`. */
export function rowCosine(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < d; k++) {
    const x = a[i * d + k]!;
    const y = b[j * d + k]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb + 1e-30);
}
