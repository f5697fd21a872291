/**
 * Fuzzing the backbone adapters' config parsing as `resprune layout` and `select --config` use it:
 * mutated config.json / preprocessor_config.json of every supported backbone end in a typed error or
 * a valid layout, in bounded time. (The pipeline's own config parse is fuzzed in packages/pipeline.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParams, mutatedBytes, mutatedJson, typedOrValid } from '@resprune/test-backends/fuzz';
import { loadBackbone } from '../src/commands/layout.js';

const packages = fileURLToPath(new URL('../../../packages/', import.meta.url));
const CONFIGS = [
  ['llava-1.5', join(packages, 'backbone-llava/test/fixtures/llava-1.5-7b-hf/config.json')],
  ['llava-next', join(packages, 'backbone-llava/test/fixtures/llava-v1.6-mistral-7b-hf/config.json')],
  ['qwen2.5-vl', join(packages, 'backbone-qwen-vl/test/fixtures/Qwen2.5-VL-7B-Instruct/config.json')],
] as const;
const QWEN_PRE = join(packages, 'backbone-qwen-vl/test/fixtures/Qwen2.5-VL-7B-Instruct/preprocessor_config.json');

const dir = mkdtempSync(join(tmpdir(), 'resprune-cli-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz: mutated backbone configs end in a typed error or a valid layout', () => {
  it.each(CONFIGS)('%s config.json', async (label, path) => {
    const file = join(dir, `${label}.json`);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedBytes(new Uint8Array(readFileSync(path))), async (bytes) => {
        writeFileSync(file, bytes);
        seen.add(
          await typedOrValid(() => {
            const layout = loadBackbone(file).layout([{ width: 1100, height: 808 }]);
            expect(layout.tokens).toBeGreaterThan(0);
          }, 1000),
        );
      }),
      fuzzParams(`config ${label}`, 150),
    );
    // Most byte edits break the JSON itself (E_BACKBONE_CONFIG); the field-level test below reaches the parser.
    expect([...seen].some((c) => c.startsWith('E_'))).toBe(true);
  });

  it.each(CONFIGS)('%s config.json, field-level edits (valid JSON, hostile values)', async (label, path) => {
    const file = join(dir, `${label}-fields.json`);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedJson(JSON.parse(readFileSync(path, 'utf8'))), async (doc) => {
        writeFileSync(file, JSON.stringify(doc));
        seen.add(await typedOrValid(() => loadBackbone(file).layout([{ width: 1100, height: 808 }, { width: 37, height: 4000 }]), 1000));
      }),
      fuzzParams(`config fields ${label}`, 200),
    );
    expect([...seen].some((c) => c.startsWith('E_'))).toBe(true);
  });

  it('qwen2.5-vl preprocessor_config.json', async () => {
    const file = join(dir, 'pre.json');
    await fc.assert(
      fc.asyncProperty(mutatedBytes(new Uint8Array(readFileSync(QWEN_PRE))), async (bytes) => {
        writeFileSync(file, bytes);
        await typedOrValid(() => loadBackbone(CONFIGS[2][1], file).layout([{ width: 1100, height: 808 }]), 1000);
      }),
      fuzzParams('qwen preprocessor', 150),
    );
  });
});
