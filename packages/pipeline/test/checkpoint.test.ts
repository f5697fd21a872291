import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '@resprune/test-backends';
import { loadPipeline, loadWeights, locateWeights, openSafetensors, readSafetensorsHeader, writeSafetensors, type SafetensorsTensorSpec } from '../src/index.js';
import { removeDir, tempDir, tinyLlava15, writeTiny } from './fixtures.js';

let good: string;
const dirs: string[] = [];
beforeAll(() => {
  good = writeTiny(tinyLlava15({ shards: 3 }));
  dirs.push(good);
});
afterAll(() => dirs.forEach(removeDir));

/** A copy of the good checkpoint to damage. */
function copy(): string {
  const d = tempDir();
  dirs.push(d);
  cpSync(good, d, { recursive: true });
  return d;
}

const SHARD2 = 'model-00002-of-00003.safetensors';

/** Loading fails with `code`, names `mention`, and leaves no tensor behind. */
async function expectLoadError(dir: string, code: string, mention: string, options: Parameters<typeof loadPipeline>[1] = {}): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  const before = tf.memory().numTensors;
  let err: unknown;
  try {
    const p = await loadPipeline(dir, options);
    p.dispose();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeDefined();
  expect((err as { code: string }).code, String(err)).toBe(code);
  expect((err as Error).message).toContain(mention);
  expect(tf.memory().numTensors).toBe(before);
  return err as Error & { code: string; details?: Record<string, unknown> };
}

/** Rewrites one shard, transforming its tensors. */
function rewriteShard(dir: string, file: string, edit: (name: string, t: SafetensorsTensorSpec) => [string, SafetensorsTensorSpec] | undefined): void {
  const path = join(dir, file);
  const r = openSafetensors(path);
  const out = new Map<string, SafetensorsTensorSpec>();
  try {
    for (const [name, e] of r.header.tensors) {
      const res = edit(name, { shape: e.shape, data: r.readFloat32(name), dtype: e.dtype });
      if (res !== undefined) out.set(res[0], res[1]);
    }
  } finally {
    r.close();
  }
  writeSafetensors(path, out);
}

describe('checkpoint loading', () => {
  it('finds the shards through model.safetensors.index.json', () => {
    const f = locateWeights(good);
    expect(f.shards.map((s) => basename(s))).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(f.layout).toBe('published');
    expect(f.weightMap.get('language_model.model.embed_tokens.weight')).toBeDefined();
    expect(f.weightMap.get('vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight')).toBeDefined();
    expect(f.weightMap.get('multi_modal_projector.linear_2.bias')).toBeDefined();
    expect(f.weightMap.get('language_model.lm_head.weight')).toBeDefined();
  });

  it('a missing shard gives E_CHECKPOINT naming the shard', async () => {
    const d = copy();
    rmSync(join(d, SHARD2));
    await expectLoadError(d, 'E_CHECKPOINT', SHARD2);
  });

  it('a truncated shard gives E_FILE_CORRUPT naming the file and the tensor', async () => {
    const d = copy();
    const p = join(d, SHARD2);
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 100));
    const e = await expectLoadError(d, 'E_FILE_CORRUPT', SHARD2);
    expect(e.details?.['tensor']).toBeTypeOf('string');
  });

  it('a corrupt header gives E_SAFETENSORS naming the file', async () => {
    const d = copy();
    const p = join(d, SHARD2);
    const bytes = readFileSync(p);
    bytes.write('#', 8); // first byte of the JSON header
    writeFileSync(p, bytes);
    await expectLoadError(d, 'E_SAFETENSORS', SHARD2);
  });

  it('a tensor of the wrong shape gives E_TENSOR_SHAPE with expected and received shapes', async () => {
    const d = copy();
    // a tensor the model uses (the last CLIP layer and post_layernorm are not read with vision_feature_layer -2)
    const victim = [...readSafetensorsHeader(join(d, SHARD2)).tensors.values()].find((t) => t.shape.length === 2 && t.shape[0] !== t.shape[1] && !/encoder\.layers\.1\.|post_layernorm/.test(t.name))!;
    rewriteShard(d, SHARD2, (name, t) => (name === victim.name ? [name, { ...t, shape: [t.shape[1]!, t.shape[0]!] }] : [name, t]));
    const e = await expectLoadError(d, 'E_TENSOR_SHAPE', victim.name);
    expect(e.message).toContain(SHARD2);
    expect(e.details).toMatchObject({ tensor: victim.name, expected: victim.shape, received: [victim.shape[1], victim.shape[0]] });
  });

  it('a tensor absent from the index, or from the shard the index names, gives E_TENSOR_MISSING', async () => {
    const d = copy();
    const indexPath = join(d, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    delete index.weight_map['multi_modal_projector.linear_1.weight'];
    writeFileSync(indexPath, JSON.stringify(index));
    await expectLoadError(d, 'E_TENSOR_MISSING', 'multi_modal_projector.linear_1.weight');
    const d2 = copy();
    const victim = [...readSafetensorsHeader(join(d2, SHARD2)).tensors.keys()][0]!;
    rewriteShard(d2, SHARD2, (name, t) => (name === victim ? undefined : [name, t]));
    const e = await expectLoadError(d2, 'E_TENSOR_MISSING', victim);
    expect(e.message).toContain(SHARD2);
  });

  it('incomplete directories give typed errors', async () => {
    await expectLoadError(join(good, 'nope'), 'E_FILE_NOT_FOUND', 'nope');
    const noWeights = copy();
    for (const f of ['model-00001-of-00003.safetensors', SHARD2, 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']) rmSync(join(noWeights, f));
    await expectLoadError(noWeights, 'E_CHECKPOINT', 'model.safetensors');
    const noConfig = copy();
    rmSync(join(noConfig, 'config.json'));
    await expectLoadError(noConfig, 'E_FILE_NOT_FOUND', 'config.json');
    const badType = copy();
    const cfg = JSON.parse(readFileSync(join(badType, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(badType, 'config.json'), JSON.stringify({ ...cfg, model_type: 'idefics3' }));
    await expectLoadError(badType, 'E_BACKBONE_UNKNOWN', 'idefics3');
    // A known model type with another family's config: that family's parser names what is missing.
    const otherFamily = copy();
    writeFileSync(join(otherFamily, 'config.json'), JSON.stringify({ ...cfg, model_type: 'qwen2_5_vl' }));
    await expectLoadError(otherFamily, 'E_CHECKPOINT', 'mrope_section');
    const badSize = copy();
    writeFileSync(join(badSize, 'config.json'), JSON.stringify({ ...cfg, text_config: { ...(cfg['text_config'] as object), num_key_value_heads: 3 } }));
    await expectLoadError(badSize, 'E_BACKBONE_CONFIG', 'num_key_value_heads');
    const noTok = copy();
    rmSync(join(noTok, 'tokenizer.json'));
    await expectLoadError(noTok, 'E_TOKENIZER', 'tokenizer.json');
    const noTemplate = copy();
    rmSync(join(noTemplate, 'chat_template.json'));
    await expectLoadError(noTemplate, 'E_TOKENIZER', 'chat template');
  });

  it('frees every tensor loaded so far when loading fails part-way', async () => {
    let seen = 0;
    await expectLoadError(good, 'E_CHECKPOINT', 'stop here', {
      onProgress: () => {
        if (++seen === 10) throw new Error('stop here');
      },
    });
    expect(seen).toBe(10);
  });

  it('transformers-4.52 names and F16 / BF16 single-file checkpoints load to the same model', async () => {
    const req = { image: sharedPath('images', 'dog.jpg'), prompt: 'Describe the dog.', maxNewTokens: 1, returnStepLogits: true } as const;
    const ref = await loadPipeline(good);
    const refOut = await ref.generate(req);
    ref.dispose();
    const renamed = writeTiny(tinyLlava15({ layout: 'transformers-4.52', shards: 2 }));
    dirs.push(renamed);
    expect(JSON.stringify(readFileSync(join(renamed, 'model.safetensors.index.json'), 'utf8'))).toContain('model.language_model.layers.0');
    const p = await loadPipeline(renamed);
    expect(p.tensorLayout).toBe('transformers-4.52');
    const out = await p.generate(req);
    p.dispose();
    expect(Array.from(out.stepLogits![0]!)).toEqual(Array.from(refOut.stepLogits![0]!));
    for (const dtype of ['F16', 'BF16'] as const) {
      const half = writeTiny(tinyLlava15({ dtype, shards: 1 }));
      dirs.push(half);
      const h = await loadPipeline(half);
      expect(h.weightBytes).toBeGreaterThan(0);
      const o = await h.generate(req);
      h.dispose();
      // Same random draw rounded to 16 bits: logits stay close to the float32 model's.
      let maxDiff = 0;
      const a = o.stepLogits![0]!;
      const b = refOut.stepLogits![0]!;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      expect(maxDiff).toBeLessThan(dtype === 'F16' ? 0.05 : 0.5);
      expect(maxDiff).toBeGreaterThan(0);
    }
  });
});

describe('linear weights held transposed', () => {
  it('loadWeights({ transpose }) holds exactly the transpose of each chosen [out, in] weight, frees the originals, and leaves aliases alone', async () => {
    const files = locateWeights(good);
    const q = 'language_model.model.layers.0.self_attn.q_proj.weight';
    const up = 'language_model.model.layers.1.mlp.up_proj.weight';
    const norm = 'language_model.model.layers.0.input_layernorm.weight';
    const spec = new Map<string, number[]>([[q, [64, 64]], [up, [96, 64]], [norm, [64]]]);
    const before = tf.memory().numTensors;
    const plain = await loadWeights(files, spec);
    const t = await loadWeights(files, spec, { transpose: () => true });
    expect(tf.memory().numTensors).toBe(before + 6);
    expect([...t.transposed].sort()).toEqual([q, up].sort()); // 1-D tensors are never transposed
    expect(t.tensors.get(up)!.shape).toEqual([64, 96]);
    for (const name of [q, up]) {
      const ref = tf.transpose(plain.tensors.get(name)!);
      expect(Array.from(t.tensors.get(name)!.dataSync())).toEqual(Array.from(ref.dataSync()));
      ref.dispose();
    }
    expect(Array.from(t.tensors.get(norm)!.dataSync())).toEqual(Array.from(plain.tensors.get(norm)!.dataSync()));
    expect(plain.transposed.size).toBe(0);
    for (const w of [plain, t]) for (const x of w.tensors.values()) x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
