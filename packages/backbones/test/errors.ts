import { expect } from 'vitest';
import { isResPruneError, type ErrorCode } from '@resprune/errors';

/** Runs fn and returns the ResPruneError it throws, failing the test unless the code matches. */
export function thrown(fn: () => unknown, code: ErrorCode): Error {
  try {
    fn();
  } catch (error) {
    expect(isResPruneError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return error as Error;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}
