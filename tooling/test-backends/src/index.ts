/**
 * Test helpers shared by every package: backend names, closeness checks, leak checks and the
 * path of the shared real data (`../shared` beside the checkout).
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

export const BACKENDS = ['cpu', 'wasm', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

declare module 'vitest' {
  export interface ProvidedContext {
    tfBackend: BackendName;
  }
}

/** Element-wise closeness; eps mirrors tfjs TEST_EPSILON_FLOAT32 (1e-3). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, eps = 1e-3): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= eps)) {
      throw new Error(`expectClose: index ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff} > ${eps})`);
    }
  }
}

/**
 * Runs `fn` and asserts that it leaves `tf.memory().numTensors` unchanged (tensors it returns
 * must be disposed by `fn` itself). Returns what `fn` returned.
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  return out;
}

/** The repository root (the folder holding pnpm-workspace.yaml). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repoRoot: pnpm-workspace.yaml not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/**
 * Absolute path inside `../shared` beside the checkout (override with RESPRUNE_SHARED). Tests only:
 * CI's checkout has that folder beside it, and tests that read its photos need it.
 */
export function sharedPath(...parts: string[]): string {
  const base = process.env['RESPRUNE_SHARED'] ?? resolve(repoRoot(), '..', 'shared');
  return join(base, ...parts);
}

/** The real photographs in `../shared/images`. */
export const SHARED_PHOTOS = [
  'astronaut.png', 'chelsea.png', 'coffee.png', 'dog.jpg', 'horses.jpg', 'kite.jpg', 'person.jpg', 'rocket.jpg',
] as const;

/**
 * mulberry32: a small seeded PRNG returning floats in [0, 1). Tests share this one (it is the
 * benchmarks' generator, from `@resprune/synthetic-tokens`) so that fixtures built from a seed
 * are the same in every package.
 */
export { uniform as seededRandom } from '@resprune/synthetic-tokens';

/** Asserts that `fn` throws a ResPruneError with `code` whose message matches `message`. */
export function expectError(fn: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expectResPruneError(thrown, code, message, 'expected an error');
}

/** Async variant of {@link expectError}: `p` must reject with such an error. */
export async function expectRejection(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const thrown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expectResPruneError(thrown, code, message, 'expected a rejection');
}

function expectResPruneError(thrown: unknown, code: string, message: RegExp, what: string): void {
  expect(thrown, what).toBeInstanceOf(Error);
  expect(thrown).toMatchObject({ name: 'ResPruneError', code });
  expect((thrown as Error).message).toMatch(message);
}
