import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

// A fresh Node process with no tfjs backend imported (the test setup registers them in this one).
describe.runIf(inject('tfBackend') === 'cpu')('without a TensorFlow.js backend', () => {
  it('loadMobileNetV2 throws E_NO_BACKEND with the fix instead of a tfjs error', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { loadMobileNetV2 } from '@resprune/mobilenet-features';
         try { await loadMobileNetV2(); console.log(JSON.stringify({ ok: true })); }
         catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`,
      ],
      { cwd: packageDir, encoding: 'utf8' },
    );
    const r = JSON.parse(out.trim()) as { name: string; code: string; message: string };
    expect(r.name).toBe('ResPruneError');
    expect(r.code).toBe('E_NO_BACKEND');
    expect(r.message).toMatch(/^loadMobileNetV2: no TensorFlow\.js backend is registered; import a TensorFlow\.js backend/);
  });
});
