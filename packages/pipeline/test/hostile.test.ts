/**
 * Hostile input to the checkpoint file readers (config, index, tokenizer, chat template, shards): input that
 * never ends or never arrives is refused at once, and mutated config.json / tokenizer.json end in a typed error
 * or a valid result, in bounded time.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParams, mutatedBytes, mutatedJson, typedOrValid } from '@resprune/test-backends/fuzz';
import { loadCheckpointTokenizer, locateWeights, parseLlavaConfig, readJsonFile, resolveBackbone, tokenizerFromJson } from '../src/index.js';
import { mistralTokenizerFiles, removeDir, tempDir, tinyLlava15, writeTiny } from './fixtures.js';

let good = '';
let scratch = '';
beforeAll(() => {
  good = writeTiny(tinyLlava15({ shards: 2 }));
  scratch = tempDir();
});
afterAll(() => {
  removeDir(good);
  removeDir(scratch);
});

/** A copy of the good checkpoint with one file replaced by a FIFO that nobody writes to. */
function withFifo(name: string): string {
  const dir = join(scratch, `fifo-${name}`);
  cpSync(good, dir, { recursive: true });
  rmSync(join(dir, name), { force: true });
  if (name === 'chat_template.jinja') rmSync(join(dir, 'chat_template.json'), { force: true }); // read only without it
  execFileSync('mkfifo', [join(dir, name)]);
  return dir;
}

describe('checkpoint files that never arrive: a FIFO is refused at once, never opened', () => {
  it.each(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'])('%s', (name) => {
    const dir = withFifo(name);
    const t0 = performance.now();
    let thrown: unknown;
    try {
      if (name === 'config.json') readJsonFile(join(dir, name));
      else loadCheckpointTokenizer(dir);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ name: 'ResPruneError', code: 'E_FILE_NOT_FOUND' });
    expect((thrown as Error).message).toMatch(/FIFO/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a weights shard that is a FIFO is refused by locateWeights', () => {
    const shard = readdirShard(good);
    const dir = withFifo(shard);
    expect(() => locateWeights(dir)).toThrow(expect.objectContaining({ code: 'E_FILE_NOT_FOUND' }) as Error);
  });
});

function readdirShard(dir: string): string {
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  return Object.values(index.weight_map)[0]!;
}

describe('fuzz: mutated config.json ends in a typed error or a valid config and layout', () => {
  it('config.json → readJsonFile → parseLlavaConfig and the backbone adapter', async () => {
    const base = new Uint8Array(readFileSync(join(good, 'config.json')));
    const file = join(scratch, 'config.json');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedBytes(base), async (bytes) => {
        writeFileSync(file, bytes);
        seen.add(
          await typedOrValid(() => {
            const raw = readJsonFile(file) as Record<string, unknown>;
            parseLlavaConfig(raw);
            const layout = resolveBackbone(raw).layout([{ width: 640, height: 480 }]);
            expect(layout.tokens).toBeGreaterThan(0);
          }, 1000),
        );
      }),
      fuzzParams('config.json', 200),
    );
    expect(seen.size).toBeGreaterThan(0);
  });

  it('field-level edits (valid JSON, hostile values) reach parseLlavaConfig and the adapter', async () => {
    const base = JSON.parse(readFileSync(join(good, 'config.json'), 'utf8')) as unknown;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedJson(base), async (raw) => {
        seen.add(
          await typedOrValid(() => {
            parseLlavaConfig(raw as Record<string, unknown>);
            const layout = resolveBackbone(raw as Record<string, unknown>).layout([{ width: 640, height: 480 }]);
            expect(layout.tokens).toBeGreaterThan(0);
          }, 1000),
        );
      }),
      fuzzParams('config.json fields', 300),
    );
    expect([...seen].some((c) => c.startsWith('E_'))).toBe(true);
  });
});

describe('fuzz: mutated tokenizer.json ends in a typed error or a working tokenizer', () => {
  it('tokenizer.json → tokenizerFromJson → encode/decode', async () => {
    const { tokenizerJson, tokenizerConfig } = mistralTokenizerFiles();
    // The structure around the vocabulary (normalizer, pre-tokenizer, model type, added tokens) is what
    // a mutation can break in interesting ways; the vocabulary itself is kept small.
    const model = tokenizerJson['model'] as { vocab: Record<string, number> };
    const vocab = Object.fromEntries(Object.entries(model.vocab).slice(0, 2000));
    const small = { ...tokenizerJson, model: { ...model, vocab, merges: [] } };
    const base = new TextEncoder().encode(JSON.stringify(small));
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedBytes(base, 2000), async (bytes) => {
        seen.add(
          await typedOrValid(() => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(new TextDecoder().decode(bytes));
            } catch {
              return; // not JSON: the file reader turns this into E_TOKENIZER (tested in tokenizer tests)
            }
            const tok = tokenizerFromJson(parsed, tokenizerConfig, 'fuzz/tokenizer.json');
            tok.decode(tok.encode('What is the dog doing?', true));
          }, 3000),
        );
      }),
      fuzzParams('tokenizer.json', 40),
    );
    expect(seen.size).toBeGreaterThan(0);
  });

  it('a post-processor template holding a number (found by this fuzzer) is E_TOKENIZER at load, not a TypeError', () => {
    const { tokenizerJson, tokenizerConfig } = mistralTokenizerFiles();
    const pp = tokenizerJson['post_processor'] as { single: unknown[] };
    const broken = { ...tokenizerJson, post_processor: { ...pp, single: [pp.single[0], -1] } };
    expect(() => tokenizerFromJson(broken, tokenizerConfig, 'broken/tokenizer.json')).toThrow(
      expect.objectContaining({ code: 'E_TOKENIZER', message: expect.stringMatching(/^broken\/tokenizer\.json: cannot build the tokenizer/) as string }) as Error,
    );
  });

  it('field-level edits of tokenizer.json (normalizer, pre-tokenizer, model, added tokens)', async () => {
    const { tokenizerJson, tokenizerConfig } = mistralTokenizerFiles();
    // Without the vocabulary, so that edits land on the structure rather than on one of 32000 entries.
    const model = tokenizerJson['model'] as Record<string, unknown>;
    const skeleton = { ...tokenizerJson, model: { ...model, vocab: { '<unk>': 0, '<s>': 1, '</s>': 2, '▁': 3, a: 4 }, merges: [] } };
    await fc.assert(
      fc.asyncProperty(mutatedJson(skeleton), async (doc) => {
        await typedOrValid(() => {
          const tok = tokenizerFromJson(doc, tokenizerConfig, 'fuzz/tokenizer.json');
          tok.decode(tok.encode('a a', true));
        }, 3000);
      }),
      fuzzParams('tokenizer.json fields', 150),
    );
  });
});
