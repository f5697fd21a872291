import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { NoBackendAvailableError, useBackend, useBestBackend } from '../src/index.js';

/** True when a package resolves from this test file (tfjs-node is only present where libtensorflow installs). */
async function installed(pkg: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ pkg);
    return true;
  } catch {
    return false;
  }
}

describe('useBestBackend', () => {
  it('picks the best installed backend in the default order', async () => {
    const hasNode = (await installed('@tensorflow/tfjs-node-gpu')) || (await installed('@tensorflow/tfjs-node'));
    const chosen = await useBestBackend();
    expect(chosen).toBe(hasNode ? (await installed('@tensorflow/tfjs-node-gpu')) ? 'node-gpu' : 'node' : 'wasm');
    expect(tf.getBackend()).toBe(hasNode ? 'tensorflow' : 'wasm');
    const sum = tf.add(tf.scalar(2), tf.scalar(3));
    expect(await sum.data()).toEqual(new Float32Array([5]));
    sum.dispose();
  });

  it('falls through to the next backend when a package is missing, and activates it', async () => {
    const importer = async (pkg: string): Promise<unknown> => {
      if (pkg.includes('tfjs-node')) throw new Error(`Cannot find package '${pkg}'`);
      return import(/* @vite-ignore */ pkg);
    };
    expect(await useBestBackend(['node-gpu', 'node', 'cpu'], { importer })).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('throws a typed error listing every attempt when none works', async () => {
    const importer = async (pkg: string): Promise<unknown> => {
      throw new Error(`Cannot find package '${pkg}'\nstack...`);
    };
    const error = await useBestBackend(['node-gpu', 'node'], { importer }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoBackendAvailableError);
    expect(isResPruneError(error) && error.code).toBe('E_NO_BACKEND');
    const e = error as NoBackendAvailableError;
    expect(e.attempts.map((a) => a.choice)).toEqual(['node-gpu', 'node']);
    expect(e.message).toContain("node-gpu (@tensorflow/tfjs-node-gpu): Cannot find package '@tensorflow/tfjs-node-gpu'");
    expect(e.message).not.toContain('stack...');
  });

  it('reports an import that registers no backend', async () => {
    const error = await useBestBackend(['node'], { importer: async () => ({}) }).catch((e: unknown) => e);
    expect((error as NoBackendAvailableError).attempts[0]?.reason).toContain("registered no 'tensorflow' backend");
  });

  it('rejects unknown names and an empty order with E_BACKEND', async () => {
    await expect(useBackend('gpu' as never)).rejects.toMatchObject({ code: 'E_BACKEND' });
    await expect(useBestBackend([])).rejects.toMatchObject({ code: 'E_BACKEND' });
  });

  it('tensorflow means node-gpu then node', async () => {
    const tried: string[] = [];
    const importer = async (pkg: string): Promise<unknown> => {
      tried.push(pkg);
      throw new Error('not installed');
    };
    await expect(useBackend('tensorflow', { importer })).rejects.toBeInstanceOf(NoBackendAvailableError);
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  });
});
