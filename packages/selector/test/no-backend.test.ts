import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const backend = inject('tfBackend');

/**
 * Runs `code` in a fresh Node process (no tfjs backend imported: the test setup registers them in
 * this process) from this package's folder, and returns what it prints.
 */
function fresh(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: packageDir, encoding: 'utf8' });
}

// One process start per backend project is enough: the check does not depend on the backend.
describe.runIf(backend === 'cpu')('without a TensorFlow.js backend', () => {
  it('select and selectWith throw E_NO_BACKEND with the fix, not tfjs\'s "No backend found in registry"', () => {
    const out = fresh(`
      import { select, selectWith } from '@resprune/selector';
      const visual = { data: new Float32Array([1, 0, 0, 1, 1, 1]), shape: [3, 2] };
      for (const run of [() => select(visual, { keep: 2 }), () => selectWith('divprune', visual, { keep: 2 })]) {
        try { run(); console.log(JSON.stringify({ ok: true })); }
        catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
      }
    `);
    const results = out.trim().split('\n').map((line) => JSON.parse(line) as { name: string; code: string; message: string });
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.name).toBe('ResPruneError');
      expect(r.code).toBe('E_NO_BACKEND');
      expect(r.message).toMatch(/no TensorFlow\.js backend is registered; import a TensorFlow\.js backend .*@tensorflow\/tfjs-backend-cpu/);
      expect(r.message).not.toMatch(/No backend found in registry/);
    }
    expect(results[0]!.message).toMatch(/^select: /);
    expect(results[1]!.message).toMatch(/^selectWith\('divprune'\): /);
  });

  it('with a backend imported the same call works (so the failure above is about the backend)', () => {
    const out = fresh(`
      import '@tensorflow/tfjs-backend-cpu';
      import { select } from '@resprune/selector';
      console.log(Array.from(select({ data: new Float32Array([1, 0, 0, 1, 1, 1]), shape: [3, 2] }, { keep: 2 }).kept).join());
    `);
    expect(out.trim()).toBe('0,2'); // [1, 1] first (largest energy), then the lower index of the tie
  });
});
