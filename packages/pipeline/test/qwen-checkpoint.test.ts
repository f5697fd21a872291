/**
 * Qwen-VL configs and checkpoints: the published configs of Qwen2.5-VL-3B/7B and Qwen2-VL-2B/7B parse to their
 * known sizes and weight shapes; the nested config layout and the recent-transformers tensor names load the same
 * model; the random writer is deterministic and hub-shaped; every bad config or checkpoint gives its typed error.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectError, expectNoLeak, expectRejection } from '@resprune/test-backends';
import {
  detectQwenLayout,
  isQwenLinearWeight,
  loadQwenWeights,
  locateWeights,
  parseQwen2VlConfig,
  qwenFallbacks,
  qwenLayoutName,
  qwenWeightSpec,
  writeRandomQwenVlCheckpoint,
  type RandomQwenVlCheckpointOptions,
} from '../src/index.js';
import { removeDir, tempDir } from './fixtures.js';
import {
  checkpointOptions,
  checkpointSha256,
  GOLDEN,
  QWEN25_VL_3B_CONFIG,
  QWEN25_VL_7B_CONFIG,
  QWEN2_VL_2B_CONFIG,
  QWEN2_VL_7B_CONFIG,
  writeTinyQwen,
} from './qwen-fixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A small checkpoint (vocabulary 1000: the loader does not need the tokenizer's ids). */
function small(overrides: Partial<RandomQwenVlCheckpointOptions> = {}): string {
  const preset = GOLDEN.checkpoints['q25']!;
  const dir = writeTinyQwen(checkpointOptions(preset, { text: { ...preset.text, vocabSize: 1000 }, ...overrides }));
  dirs.push(dir);
  return dir;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
}

function configOf(dir: string): ReturnType<typeof parseQwen2VlConfig> {
  return parseQwen2VlConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
}

describe('published configs', () => {
  it('Qwen2.5-VL-3B-Instruct: tied, GQA 16/2, windows of 112 px, full attention in 7/15/23/31', () => {
    const c = parseQwen2VlConfig(QWEN25_VL_3B_CONFIG);
    expect(c.modelType).toBe('qwen2_5_vl');
    expect(c.text).toMatchObject({ modelType: 'qwen2', hiddenSize: 2048, numLayers: 36, numHeads: 16, numKvHeads: 2, headDim: 128, vocabSize: 151936 });
    expect(c.text).toMatchObject({ tieWordEmbeddings: true, attentionBias: true, mropeSection: [16, 24, 24], ropeTheta: 1e6, slidingWindow: null, rmsNormEps: 1e-6 });
    expect(c.vision).toMatchObject({ depth: 32, hiddenSize: 1280, intermediateSize: 3420, numHeads: 16, outHiddenSize: 2048, hiddenAct: 'silu', norm: 'rms' });
    expect(c.vision).toMatchObject({ windowSize: 112, fullAttBlockIndexes: [7, 15, 23, 31], inChannels: 3, temporalPatchSize: 2, patchSize: 14 });
    expect([c.imageTokenId, c.visionStartTokenId, c.visionEndTokenId, c.eosTokenIds]).toEqual([151655, 151652, 151653, [151645]]);
    const spec = qwenWeightSpec(c);
    expect(spec.get('visual.patch_embed.proj.weight')).toEqual([1280, 3, 2, 14, 14]);
    expect(spec.get('visual.blocks.0.attn.qkv.weight')).toEqual([3840, 1280]);
    expect(spec.get('visual.blocks.31.mlp.gate_proj.bias')).toEqual([3420]);
    expect(spec.has('visual.blocks.0.norm1.bias')).toBe(false);
    expect(spec.get('visual.merger.mlp.0.weight')).toEqual([5120, 5120]);
    expect(spec.get('visual.merger.mlp.2.weight')).toEqual([2048, 5120]);
    expect(spec.get('model.layers.35.self_attn.k_proj.weight')).toEqual([256, 2048]);
    expect(spec.get('model.layers.0.self_attn.k_proj.bias')).toEqual([256]);
    expect(spec.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(spec.get('lm_head.weight')).toEqual([151936, 2048]);
    expect(qwenFallbacks(c).get('lm_head.weight')).toBe('model.embed_tokens.weight');
  });

  it('Qwen2.5-VL-7B-Instruct: untied, GQA 28/4, merger to 3584', () => {
    const c = parseQwen2VlConfig(QWEN25_VL_7B_CONFIG);
    expect(c.text).toMatchObject({ hiddenSize: 3584, intermediateSize: 18944, numLayers: 28, numHeads: 28, numKvHeads: 4, vocabSize: 152064, tieWordEmbeddings: false });
    expect(qwenWeightSpec(c).get('visual.merger.mlp.2.weight')).toEqual([3584, 5120]);
    expect(qwenFallbacks(c).size).toBe(0);
  });

  it('Qwen2-VL-2B / 7B: LayerNorm blocks with fc1/fc2 and QuickGELU, no windows', () => {
    const c = parseQwen2VlConfig(QWEN2_VL_2B_CONFIG);
    expect(c.modelType).toBe('qwen2_vl');
    expect(c.vision).toMatchObject({ hiddenSize: 1280, intermediateSize: 5120, outHiddenSize: 1536, hiddenAct: 'quick_gelu', norm: 'layer', windowSize: null });
    expect(c.text).toMatchObject({ hiddenSize: 1536, numHeads: 12, numKvHeads: 2, headDim: 128, tieWordEmbeddings: true, mropeSection: [16, 24, 24] });
    const spec = qwenWeightSpec(c);
    expect(spec.get('visual.blocks.0.norm1.bias')).toEqual([1280]);
    expect(spec.get('visual.blocks.0.mlp.fc1.weight')).toEqual([5120, 1280]);
    expect(spec.get('visual.merger.ln_q.bias')).toEqual([1280]);
    expect(spec.get('visual.merger.mlp.2.weight')).toEqual([1536, 5120]);
    expect(spec.has('visual.blocks.0.mlp.gate_proj.weight')).toBe(false);
    const c7 = parseQwen2VlConfig(QWEN2_VL_7B_CONFIG);
    expect([c7.text.hiddenSize, c7.vision.outHiddenSize, c7.text.tieWordEmbeddings]).toEqual([3584, 3584, false]);
  });

  it('the nested layout recent transformers write (text_config, rope_parameters) parses to the same config', () => {
    const { rope_scaling: _rs, vision_config, ...root } = QWEN25_VL_3B_CONFIG;
    const textKeys = ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'rms_norm_eps', 'vocab_size', 'tie_word_embeddings', 'use_sliding_window', 'sliding_window', 'hidden_act', 'eos_token_id'] as const;
    const text = Object.fromEntries(textKeys.map((k) => [k, root[k]]));
    const nested = {
      model_type: 'qwen2_5_vl',
      image_token_id: 151655,
      tie_word_embeddings: true,
      text_config: { ...text, model_type: 'qwen2_5_vl_text', rope_parameters: { rope_type: 'default', rope_theta: 1e6, mrope_section: [16, 24, 24] } },
      vision_config: { ...vision_config, in_channels: 3 },
    };
    expect(parseQwen2VlConfig(nested)).toEqual(parseQwen2VlConfig(QWEN25_VL_3B_CONFIG));
  });

  it('linear weights are the 2-D projections (held transposed), not embeddings, norms, biases or the Conv3d', () => {
    for (const n of ['visual.blocks.0.attn.qkv.weight', 'visual.blocks.0.attn.proj.weight', 'visual.blocks.0.mlp.down_proj.weight', 'visual.blocks.0.mlp.fc1.weight', 'visual.merger.mlp.0.weight', 'visual.merger.mlp.2.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.mlp.up_proj.weight', 'lm_head.weight']) {
      expect(isQwenLinearWeight(n), n).toBe(true);
    }
    for (const n of ['visual.patch_embed.proj.weight', 'model.embed_tokens.weight', 'visual.blocks.0.norm1.weight', 'visual.merger.ln_q.weight', 'model.layers.0.self_attn.q_proj.bias', 'model.norm.weight']) {
      expect(isQwenLinearWeight(n), n).toBe(false);
    }
  });

  it('maps published names to the names recent transformers write, and detects the layout', () => {
    expect(qwenLayoutName('visual.blocks.3.attn.qkv.weight', 'transformers')).toBe('model.visual.blocks.3.attn.qkv.weight');
    expect(qwenLayoutName('model.layers.1.mlp.up_proj.weight', 'transformers')).toBe('model.language_model.layers.1.mlp.up_proj.weight');
    expect(qwenLayoutName('model.embed_tokens.weight', 'transformers')).toBe('model.language_model.embed_tokens.weight');
    expect(qwenLayoutName('lm_head.weight', 'transformers')).toBe('lm_head.weight');
    expect(qwenLayoutName('model.norm.weight', 'published')).toBe('model.norm.weight');
    expect(detectQwenLayout(['lm_head.weight', 'model.language_model.norm.weight'])).toBe('transformers');
    expect(detectQwenLayout(['lm_head.weight', 'model.norm.weight', 'visual.merger.ln_q.weight'])).toBe('published');
  });
});

describe('bad configs give E_CHECKPOINT naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['model_type', { ...QWEN25_VL_3B_CONFIG, model_type: 'qwen3_vl' }, 'model_type'],
    ['missing mrope_section', { ...QWEN25_VL_3B_CONFIG, rope_scaling: { type: 'mrope' } }, 'rope_scaling.mrope_section'],
    ['no rope_scaling at all', { ...QWEN25_VL_3B_CONFIG, rope_scaling: null }, 'rope_scaling.mrope_section'],
    ['mrope_section not summing to head_dim / 2', { ...QWEN25_VL_3B_CONFIG, rope_scaling: { type: 'mrope', mrope_section: [16, 24, 16] } }, 'rope_scaling.mrope_section'],
    ['unknown RoPE type', { ...QWEN25_VL_3B_CONFIG, rope_scaling: { type: 'yarn', factor: 4 } }, 'rope_scaling'],
    ['hidden_size not an integer', { ...QWEN25_VL_3B_CONFIG, hidden_size: '2048' }, 'hidden_size'],
    ['heads not a multiple of KV heads', { ...QWEN25_VL_3B_CONFIG, num_key_value_heads: 3 }, 'num_key_value_heads'],
    ['sliding window on', { ...QWEN25_VL_3B_CONFIG, use_sliding_window: true }, 'use_sliding_window'],
    ['merger width ≠ LLM width', { ...QWEN25_VL_3B_CONFIG, vision_config: { ...QWEN25_VL_3B_CONFIG.vision_config, out_hidden_size: 3584 } }, 'vision_config.out_hidden_size'],
    ['window not a multiple of 28 px', { ...QWEN25_VL_3B_CONFIG, vision_config: { ...QWEN25_VL_3B_CONFIG.vision_config, window_size: 100 } }, 'vision_config.window_size'],
    ['full-attention block out of range', { ...QWEN25_VL_3B_CONFIG, vision_config: { ...QWEN25_VL_3B_CONFIG.vision_config, fullatt_block_indexes: [7, 32] } }, 'vision_config.fullatt_block_indexes'],
    ['vision heads not dividing the width', { ...QWEN25_VL_3B_CONFIG, vision_config: { ...QWEN25_VL_3B_CONFIG.vision_config, num_heads: 12 } }, 'vision_config.num_heads'],
    ['unknown vision activation', { ...QWEN2_VL_2B_CONFIG, vision_config: { ...QWEN2_VL_2B_CONFIG.vision_config, hidden_act: 'relu' } }, 'vision_config.hidden_act'],
    ['nested text_config field', { ...QWEN25_VL_3B_CONFIG, text_config: { hidden_size: -1 } }, 'text_config.hidden_size'],
    ['image_token_id', { ...QWEN25_VL_3B_CONFIG, image_token_id: 'x' }, 'image_token_id'],
  ];
  it.each(cases)('%s', (_, raw, field) => {
    try {
      parseQwen2VlConfig(raw);
      throw new Error('no error');
    } catch (e) {
      expect((e as { code?: string }).code).toBe('E_CHECKPOINT');
      expect((e as { details?: { field?: string } }).details?.field).toBe(field);
      expect((e as Error).message).toContain(field);
    }
  });
  it('a non-object config', () => {
    expectError(() => parseQwen2VlConfig([1]), 'E_CHECKPOINT', /expected a JSON object/);
  });
});

describe('random checkpoints and loading', () => {
  it('the writer is deterministic in its seed and writes the hub files', () => {
    const a = small();
    const b = small();
    const c = small({ seed: 99 });
    expect(checkpointSha256(a)).toBe(checkpointSha256(b));
    expect(checkpointSha256(a)).not.toBe(checkpointSha256(c));
    const index = JSON.parse(readFileSync(join(a, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(new Set(Object.values(index.weight_map)).size).toBe(3);
    expect(index.weight_map['visual.merger.mlp.2.weight']).toMatch(/^model-0000\d-of-00003\.safetensors$/);
    const pre = JSON.parse(readFileSync(join(a, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;
    expect(pre).toMatchObject({ min_pixels: 3136, max_pixels: 12845056, patch_size: 14, temporal_patch_size: 2, merge_size: 2, image_processor_type: 'Qwen2VLImageProcessor' });
    const tc = JSON.parse(readFileSync(join(a, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const ct = JSON.parse(readFileSync(join(a, 'chat_template.json'), 'utf8')) as Record<string, unknown>;
    expect(typeof tc['chat_template']).toBe('string');
    expect(ct['chat_template']).toBe(tc['chat_template']);
  });

  it('tied checkpoints store no lm_head and read the embedding table', async () => {
    const dir = small({ tieWordEmbeddings: true });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(index.weight_map['lm_head.weight']).toBeUndefined();
    const w = await loadQwenWeights(locateWeights(dir), configOf(dir));
    expect(w.tensors.get('lm_head.weight')).toBe(w.tensors.get('model.embed_tokens.weight'));
    expect(w.transposed.has('lm_head.weight')).toBe(false);
    expect(w.transposed.has('visual.merger.mlp.0.weight')).toBe(true);
    new Set(w.tensors.values()).forEach((t) => t.dispose());
  });

  it('the recent-transformers names and the nested config load the same tensors as the published layout', async () => {
    const pub = small();
    const recent = small({ layout: 'transformers', configLayout: 'nested' });
    const index = JSON.parse(readFileSync(join(recent, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(Object.keys(index.weight_map).some((n) => n.startsWith('model.language_model.layers.'))).toBe(true);
    expect(Object.keys(index.weight_map).some((n) => n.startsWith('model.visual.blocks.'))).toBe(true);
    expect(configOf(recent)).toEqual(configOf(pub));
    await expectNoLeak(async () => {
      const a = await loadQwenWeights(locateWeights(pub), configOf(pub));
      const b = await loadQwenWeights(locateWeights(recent), configOf(recent));
      expect([a.qwenLayout, b.qwenLayout]).toEqual(['published', 'transformers']);
      expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
      for (const n of ['visual.blocks.2.attn.qkv.weight', 'model.layers.1.self_attn.v_proj.bias', 'lm_head.weight']) {
        expect(Array.from(b.tensors.get(n)!.dataSync())).toEqual(Array.from(a.tensors.get(n)!.dataSync()));
      }
      for (const w of [a, b]) new Set(w.tensors.values()).forEach((t) => t.dispose());
    });
  });

  it('a missing tensor gives E_TENSOR_MISSING with its stored name, a wrong shape E_TENSOR_SHAPE, and nothing leaks', async () => {
    const deeper = small();
    editConfig(deeper, (c) => {
      (c['vision_config'] as Record<string, unknown>)['depth'] = 5;
    });
    const recent = small({ layout: 'transformers' });
    editConfig(recent, (c) => {
      c['num_hidden_layers'] = 3;
    });
    const untied = small({ tieWordEmbeddings: true });
    editConfig(untied, (c) => {
      c['tie_word_embeddings'] = false;
    });
    const wider = small();
    editConfig(wider, (c) => {
      c['intermediate_size'] = 128;
    });
    const before = tf.memory().numTensors;
    await expectRejection(loadQwenWeights(locateWeights(deeper), configOf(deeper)), 'E_TENSOR_MISSING', /visual\.blocks\.4\.norm1\.weight/);
    await expectRejection(loadQwenWeights(locateWeights(recent), configOf(recent)), 'E_TENSOR_MISSING', /model\.language_model\.layers\.2\./);
    await expectRejection(loadQwenWeights(locateWeights(untied), configOf(untied)), 'E_TENSOR_MISSING', /"lm_head\.weight"/);
    await expectRejection(loadQwenWeights(locateWeights(wider), configOf(wider)), 'E_TENSOR_SHAPE', /mlp\.gate_proj\.weight" has shape \[96, 64\], the config implies \[128, 64\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a config the writer cannot make consistent is refused before anything is written', () => {
    const preset = GOLDEN.checkpoints['q25']!;
    const base = tempDir('resprune-qwen-');
    dirs.push(base);
    const options = checkpointOptions(preset, { text: { ...preset.text, mropeSection: [2, 2, 2] } });
    expectError(() => writeRandomQwenVlCheckpoint(join(base, 'ckpt'), options), 'E_CHECKPOINT', /mrope_section/);
    expect(existsSync(join(base, 'ckpt'))).toBe(false);
  });
});
