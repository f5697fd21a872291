import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ResPruneError, assert, isResPruneError, requireBackend } from '../src/index.js';

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

describe('requireBackend', () => {
  /** A stand-in for tfjs-core's engine that throws what tfjs 4.22 throws in each state. */
  const engineThrowing = (message: string | undefined, name = 'cpu') => ({
    engine: () => ({
      get backend(): unknown {
        if (message !== undefined) throw new Error(message);
        return {};
      },
    }),
    getBackend: () => name,
  });

  it('returns the active backend when there is one', () => {
    expect(requireBackend(engineThrowing(undefined, 'wasm'), 'op')).toBe('wasm');
  });

  it("turns tfjs's raw backend errors into E_NO_BACKEND with the fix in the message", () => {
    const none = (): string => requireBackend(engineThrowing('No backend found in registry.'), 'select');
    expect(none).toThrow(ResPruneError);
    expect(none).toThrow(/^select: no TensorFlow\.js backend is registered; import a TensorFlow\.js backend .*tfjs-backend-cpu/);
    try {
      none();
    } catch (e) {
      expect(isResPruneError(e) && e.code).toBe('E_NO_BACKEND');
      expect((e as Error).cause).toBeInstanceOf(Error);
    }
    expect(() => requireBackend(engineThrowing("The highest priority backend 'wasm' has not yet been initialized. Make sure to await tf.ready()"), 'op')).toThrow(
      /op: the TensorFlow\.js backend is still initialising; `await tf\.ready\(\)`/,
    );
    expect(() => requireBackend(engineThrowing('Could not initialize any backends, all backend initializations failed.'), 'op')).toThrow(
      /op: no TensorFlow\.js backend could be initialised \(Could not initialize any backends/,
    );
  });
});
