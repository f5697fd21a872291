import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { withPruning, type TjsTensor } from '../src/index.js';
import { loadTiny, photo, qwenChat, tensor, type Loaded } from './helpers.js';

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isResPruneError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ResPruneError, nothing was thrown');
}

describe('bad input gets a typed ResPruneError', () => {
  let loaded: Loaded;
  let inputs: Record<string, unknown>;

  beforeAll(async () => {
    loaded = await loadTiny('qwen2_vl');
    inputs = await loaded.processor(qwenChat('What is the dog doing?'), await photo('dog.jpg'));
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('at wrap time: model, family, sessions, budget, method, options, tokenizer', async () => {
    const { model, processor } = loaded;
    const ok = { budget: 8, tokenizer: processor };
    expect(await code(() => withPruning(null as never, ok))).toBe('E_INVALID_OPTION');
    const gpt2 = { config: { model_type: 'gpt2' }, sessions: {}, forward: async () => ({}) };
    expect(await code(() => withPruning(gpt2 as never, ok))).toBe('E_BACKBONE_UNKNOWN');
    const noVision = { config: model.config, sessions: { embed_tokens: {}, decoder_model_merged: {} }, forward: async () => ({}) };
    expect(await code(() => withPruning(noVision as never, ok))).toBe('E_MODEL');
    const badConfig = { config: { ...model.config, vision_config: {} }, sessions: model.sessions, forward: async () => ({}) };
    expect(await code(() => withPruning(badConfig as never, ok))).toBe('E_BACKBONE_CONFIG');
    expect(await code(() => withPruning(model, { tokenizer: processor } as never))).toBe('E_BUDGET');
    expect(await code(() => withPruning(model, { budget: 0, tokenizer: processor }))).toBe('E_BUDGET');
    expect(await code(() => withPruning(model, { budget: { ratio: 1.5 }, tokenizer: processor }))).toBe('E_BUDGET');
    expect(await code(() => withPruning(model, { ...ok, method: 'nope' }))).toBe('E_UNKNOWN_METHOD');
    expect(await code(() => withPruning(model, { ...ok, alpha: -1 }))).toBe('E_INVALID_OPTION');
    expect(await code(() => withPruning(model, { ...ok, bogus: 1 }))).toBe('E_INVALID_OPTION');
    expect(await code(() => withPruning(model, { ...ok, policy: 'sometimes' as never }))).toBe('E_INVALID_OPTION');
    expect(await code(() => withPruning(model, { ...ok, minTokens: -1 }))).toBe('E_INVALID_OPTION');
    expect(await code(() => withPruning(model, { budget: 8, tokenizer: {} as never }))).toBe('E_TOKENIZER');
    expect(await code(() => withPruning(model, { budget: 8, tokenizer: { name: 't', encodeWord: () => [1] } as never }))).toBe('E_TOKENIZER');
  });

  it('at generation: batch, padding, placeholders, video grids, prompt type, a failing session', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: 8, tokenizer: processor });
    const ids = Array.from((inputs['input_ids'] as TjsTensor).data as BigInt64Array, Number);
    const L = ids.length;

    const batch2 = { ...inputs, input_ids: tensor('int64', [...ids, ...ids], [2, L]), attention_mask: tensor('int64', new Array(2 * L).fill(1), [2, L]) };
    expect(await code(() => pruned.forward(batch2))).toBe('E_INVALID_OPTION');

    const padded = { ...inputs, attention_mask: tensor('int64', [0, ...new Array(L - 1).fill(1)], [1, L]) };
    expect(await code(() => pruned.forward(padded))).toBe('E_INVALID_OPTION');

    const image = model.config['image_token_id'] as number;
    const oneLess = ids.filter((x, i) => !(x === image && i === ids.indexOf(image)));
    const missing = { ...inputs, input_ids: tensor('int64', oneLess, [1, L - 1]), attention_mask: tensor('int64', new Array(L - 1).fill(1), [1, L - 1]) };
    expect(await code(() => pruned.forward(missing))).toBe('E_SHAPE_MISMATCH');

    const grid = Array.from((inputs['image_grid_thw'] as TjsTensor).data as BigInt64Array, Number);
    const video = { ...inputs, image_grid_thw: tensor('int64', [2, grid[1]!, grid[2]! / 2], [1, 3]) };
    expect(await code(() => pruned.forward(video))).toBe('E_INVALID_OPTION');

    expect(await code(() => pruned.generate({ ...inputs, prompt: 42 as never, max_new_tokens: 1 }))).toBe('E_INVALID_OPTION');
    expect(await code(() => pruned.forward({ ...inputs, prompt: ['x'] }))).toBe('E_INVALID_OPTION');

    const foreign = withPruning(model, { budget: 8, tokenizer: { name: 'foreign', encodeWord: () => [1_000_000], decode: () => 'dog' } as never });
    expect(await code(() => foreign.forward({ ...inputs, prompt: 'the dog' }))).toBe('E_TOKENIZER');

    const broken = { ...inputs, pixel_values: tensor('float32', [1, 2, 3], [1, 3]) };
    expect(await code(() => pruned.forward(broken))).toBe('E_MODEL');
  });

  it('leaves the wrapped model unchanged', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: 4, tokenizer: processor });
    expect(pruned.unpruned).toBe(model);
    expect(Object.hasOwn(model, 'lastPrune')).toBe(false);
    const before = (inputs['attention_mask'] as TjsTensor).dims[1];
    await pruned.forward(inputs);
    expect((inputs['attention_mask'] as TjsTensor).dims[1]).toBe(before);
    expect((await model.forward(inputs))['logits']).toBeDefined();
  });
});
