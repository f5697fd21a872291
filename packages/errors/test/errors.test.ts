import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ResPruneError, assert, isResPruneError } from '../src/index.js';

describe('ResPruneError', () => {
  it('carries code, message, cause and details', () => {
    const cause = new Error('inner');
    const e = new ResPruneError('E_BUDGET', 'keep must be positive', { cause, details: { keep: 0 } });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('E_BUDGET');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ keep: 0 });
    expect(String(e)).toBe('E_BUDGET: keep must be positive');
  });
  it('isResPruneError recognises foreign copies by code and rejects other errors', () => {
    const foreign = Object.assign(new Error('x'), { code: 'E_DTYPE' });
    expect(isResPruneError(foreign)).toBe(true);
    expect(isResPruneError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isResPruneError('E_DTYPE')).toBe(false);
  });
  it('assert throws only when the condition fails, building the message lazily', () => {
    let built = 0;
    assert(true, 'E_INTERNAL', () => String(++built));
    expect(built).toBe(0);
    expect(() => assert(false, 'E_SHAPE_MISMATCH', () => 'bad')).toThrow(ResPruneError);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
