import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { BackboneRegistry } from '@resprune/backbones';
import { smolvlm } from '@resprune/backbone-idefics3';
import { expectNoLeak } from '@resprune/test-backends';
import { generateWithPruning, withPruning, type TjsProcessorLike, type TjsTensor } from '../src/index.js';
import { f32, greedyByRecompute, i64, loadTinyIdefics3, newIds, photo, pruneByHand, recomputeLogits, spySession, tensor, type Loaded } from './helpers.js';

const QUESTION = 'Describe the horse and the kite.';
const chat = (question: string, images = 1): string => `<|im_start|>User:${'<image>'.repeat(images)}${question}<end_of_utterance>\nAssistant:`;

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isResPruneError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ResPruneError, nothing was thrown');
}

/** Kept visual tokens per tile of `tokens` (the views of one or more images, in order). */
function perTile(kept: readonly number[], tiles: number, tokens: number): number[] {
  const counts = new Array<number>(tiles).fill(0);
  for (const k of kept) counts[Math.floor(k / tokens)]! += 1;
  return counts;
}

describe('smolvlm through transformers.js', () => {
  let loaded: Loaded;
  let inputs: Record<string, unknown>;
  let L: number;
  let N: number;
  let tiles: number;
  let imageToken: number;
  // Tiles of 64 px, patch 8, scale factor 2: 4×4 = 16 tokens a tile; images scaled to a 192-px longest edge.
  const TOKENS = 16;

  beforeAll(async () => {
    loaded = await loadTinyIdefics3({ longestEdge: 192 });
    inputs = await loaded.processor(chat(QUESTION), await photo('horses.jpg'));
    L = (inputs['input_ids'] as TjsTensor).dims[1]!;
    imageToken = loaded.model.config['image_token_id'] as number;
    N = i64(inputs['input_ids']).filter((x) => x === imageToken).length;
    tiles = (inputs['pixel_values'] as TjsTensor).dims[1]!;
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('the processor’s crop grid is the adapter’s (HF arithmetic) for the photos’ sizes', async () => {
    // horses.jpg (773×512): longest edge 192 × int(127.2) = 127 → 128 (even) → 2 rows × 3 cols of 64 + global = 7 tiles.
    expect(inputs['rows']).toEqual([[2]]);
    expect(inputs['cols']).toEqual([[3]]);
    expect(tiles).toBe(7);
    expect(N).toBe(7 * TOKENS);
    const config = JSON.parse(JSON.stringify(loaded.model.config)) as Record<string, unknown>;
    const preprocessor = { size: { longest_edge: 192 }, max_image_size: { longest_edge: 64 } };
    const adapter = new BackboneRegistry().register(smolvlm).fromConfig({ ...config, model_type: 'smolvlm' }, preprocessor);
    for (const name of ['dog.jpg', 'horses.jpg', 'person.jpg', 'kite.jpg', 'coffee.png', 'astronaut.png', 'chelsea.png']) {
      const image = (await photo(name)) as { width: number; height: number };
      const p = await loaded.processor(chat('Describe this image.'), image);
      const layout = adapter.layout({ width: image.width, height: image.height });
      expect([layout.images[0]!.details['rows'], layout.images[0]!.details['cols']], name).toEqual([
        (p['rows'] as number[][])[0]![0],
        (p['cols'] as number[][])[0]![0],
      ]);
      expect(i64(p['input_ids']).filter((x) => x === imageToken).length, name).toBe(layout.tokens);
    }
  });

  it('with every token kept, logits and generated ids equal transformers.js’s own, bitwise', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { ratio: 1 }, tokenizer: processor });
    expect(f32((await pruned.forward(inputs))['logits'])).toEqual(f32((await model.forward(inputs))['logits']));
    expect(pruned.lastPrune!.sequenceLengthAfter).toBe(L);
    const a = await pruned.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    const b = await model.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    expect(i64(a)).toEqual(i64(b));
    expect(i64(a).length).toBeGreaterThan(L);
  });

  it('pruned per crop: only pruned <image> rows leave, markers stay, contiguous positions, exact features', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const ours = await pruned.forward({ ...inputs, prompt: QUESTION });
    const report = pruned.lastPrune!;
    expect(report.words).toEqual(['horse', 'kite']);
    expect(report.visualTokensBefore).toBe(N);
    // per-crop (the adapter's default): a quarter of each 16-token tile, 4 from every crop and the global tile.
    expect(perTile(report.kept, tiles, TOKENS)).toEqual(new Array(tiles).fill(4));
    expect(report.visualTokensAfter).toBe(4 * tiles);
    const ids = i64(inputs['input_ids']);
    const Lp = report.sequenceLengthAfter;
    expect(Lp).toBe(L - N + 4 * tiles);
    // Every non-<image> row stays: <fake_token_around_image>, <row_r_col_c>, <global-img>, newlines, text.
    const textRows = ids.flatMap((x, r) => (x === imageToken ? [] : [r]));
    expect(report.keep.filter((r) => ids[r] !== imageToken)).toEqual(textRows);
    const special = loaded.fixture.special;
    const kept = report.keep.map((r) => ids[r]);
    for (const marker of ['<fake_token_around_image>', '<global-img>', '<row_1_col_1>', '<row_2_col_3>']) {
      expect(ids.filter((x) => x === special[marker]).length, marker).toBeGreaterThan(0);
      expect(kept.filter((x) => x === special[marker]).length, marker).toBe(ids.filter((x) => x === special[marker]).length);
    }
    expect(report.imageSpans).toEqual([{ start: ids.indexOf(imageToken), length: N }]);
    // The decoder got text embeddings for text rows and the kept image features, at 0 … L′−1.
    const text = f32(await model.encode_text({ input_ids: inputs['input_ids'] }));
    const features = f32(await model.encode_image(inputs));
    const H = report.hidden;
    const expected = new Float32Array(Lp * H);
    let v = 0;
    const visualOf = ids.map((x) => (x === imageToken ? v++ : -1));
    report.keep.forEach((r, i) => {
      const src = visualOf[r]! >= 0 ? features.subarray(visualOf[r]! * H, (visualOf[r]! + 1) * H) : text.subarray(r * H, (r + 1) * H);
      expected.set(src, i * H);
    });
    expect(f32(calls[0]!.outputs['echo_inputs_embeds'])).toEqual(expected);
    expect(i64(calls[0]!.outputs['echo_position_ids'])).toEqual([...Array(Lp).keys()]);
    expect(i64(calls[0]!.outputs['echo_attention_mask'])).toEqual(new Array(Lp).fill(1));
    expect(report.keep.filter((r) => ids[r] === imageToken).map((r) => visualOf[r])).toEqual(report.kept);
    // Logits equal transformers.js run on the hand-pruned sequence (its own merge, rows at keep).
    const hand = await pruneByHand(loaded, inputs, report.keep);
    expect(report.inputsEmbeds).toEqual(hand.embeds);
    expect(f32(ours['logits'])).toEqual(f32(await recomputeLogits(loaded, hand, [])));
  });

  it('global policy pools an image’s tiles; a fixed budget keeps exactly that many', async () => {
    const { model, processor } = loaded;
    const pooled = withPruning(model, { budget: { keep: 10 }, tokenizer: processor, policy: 'global' });
    await pooled.forward({ ...inputs, prompt: QUESTION });
    expect(pooled.lastPrune!.visualTokensAfter).toBe(10);
    const perCrop = withPruning(model, { budget: { keep: 14 }, tokenizer: processor });
    await perCrop.forward({ ...inputs, prompt: QUESTION });
    expect(perTile(perCrop.lastPrune!.kept, tiles, TOKENS)).toEqual(new Array(tiles).fill(2));
  });

  it('KV-cached decoding continues at L′ and equals recomputing the pruned sequence, no tensor leaks', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { keep: 14 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const out = await expectNoLeak(() => pruned.generate({ ...inputs, prompt: QUESTION, max_new_tokens: 6, do_sample: false }));
    const Lp = pruned.lastPrune!.sequenceLengthAfter;
    expect(i64(calls[0]!.outputs['echo_position_ids'])).toEqual([...Array(Lp).keys()]);
    const steps = calls.slice(1).map((c) => i64(c.outputs['echo_position_ids']));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps).toEqual(steps.map((_, k) => [Lp + k]));
    const generated = newIds(out, L);
    const hand = await pruneByHand(loaded, inputs, pruned.lastPrune!.keep);
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
  });

  it('two images in one prompt: per-image quotas from each image’s own grid, decoding checked by recomputation', async () => {
    const { model, processor } = loaded;
    // dog.jpg (768×576 → 192×144 → 3 × 3 + 1 tiles) and horses.jpg (2 × 3 + 1).
    const two = await loaded.processor(chat('Is the dog near the horse?', 2), [await photo('dog.jpg'), await photo('horses.jpg')]);
    const rows = (two['rows'] as number[][])[0]!;
    const cols = (two['cols'] as number[][])[0]!;
    expect([rows, cols]).toEqual([[3, 2], [3, 3]]);
    const tilesOf = rows.map((r, i) => (r === 0 ? 1 : r * cols[i]! + 1));
    const Lfull = (two['input_ids'] as TjsTensor).dims[1]!;
    const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const out = await pruned.generate({ ...two, max_new_tokens: 4, do_sample: false });
    const report = pruned.lastPrune!;
    expect(report.imageSpans.map((s) => s.length)).toEqual(tilesOf.map((t) => t * TOKENS));
    expect(report.visualTokensAfter).toBe((tilesOf[0]! + tilesOf[1]!) * 4);
    expect(perTile(report.kept, tilesOf[0]! + tilesOf[1]!, TOKENS)).toEqual(new Array(tilesOf[0]! + tilesOf[1]!).fill(4));
    const Lp = report.sequenceLengthAfter;
    expect(i64(calls[0]!.outputs['echo_position_ids'])).toEqual([...Array(Lp).keys()]);
    const hand = await pruneByHand(loaded, two, report.keep);
    expect(f32(calls[0]!.outputs['echo_inputs_embeds'])).toEqual(hand.embeds);
    const generated = newIds(out, Lfull);
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
  });

  it('generateWithPruning: the CLI contract on SmolVLM, with the prompt written out', async () => {
    const { model, processor } = loaded;
    const r = await generateWithPruning(model, processor as unknown as TjsProcessorLike, {
      images: [await photo('horses.jpg')],
      question: QUESTION,
      text: chat(QUESTION),
      budget: { ratio: 0.25 },
      maxNewTokens: 3,
    });
    expect(r.modelType).toBe('smolvlm');
    expect(r.report.visualTokensAfter).toBe(4 * tiles);
    expect(r.inputIds).toEqual(i64(inputs['input_ids']));
    expect(r.positionIds).toEqual([...Array(r.report.sequenceLengthAfter).keys()]);
    expect(r.generatedIds.length).toBeGreaterThan(0);
    expect(await code(() => generateWithPruning(model, processor as unknown as TjsProcessorLike, { images: [1, 2], question: 'x', text: chat('x') }))).toBe('E_SHAPE_MISMATCH');
  });

  it('bad input gets a typed ResPruneError', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: 8, tokenizer: processor });
    const { rows: _rows, cols: _cols, ...noGrid } = inputs;
    expect(await code(() => pruned.forward(noGrid))).toBe('E_INVALID_OPTION');
    expect(await code(() => pruned.forward({ ...inputs, rows: [[2.5]] }))).toBe('E_INVALID_OPTION');
    // A grid that does not match pixel_values (7 tiles): 1 × 3 + 1 = 4.
    expect(await code(() => pruned.forward({ ...inputs, rows: [[1]] }))).toBe('E_SHAPE_MISMATCH');
    expect(await code(() => pruned.forward({ ...inputs, rows: [[0]], cols: [[3]] }))).toBe('E_SHAPE_MISMATCH');
    // One <image> placeholder less: the runs no longer match the tiles.
    const ids = i64(inputs['input_ids']);
    const oneLess = ids.filter((_, i) => i !== ids.indexOf(imageToken));
    const missing = { ...inputs, input_ids: tensor('int64', oneLess, [1, L - 1]), attention_mask: tensor('int64', new Array(L - 1).fill(1), [1, L - 1]) };
    expect(await code(() => pruned.forward(missing))).toBe('E_SHAPE_MISMATCH');
    const batch2 = { ...inputs, input_ids: tensor('int64', [...ids, ...ids], [2, L]), attention_mask: tensor('int64', new Array(2 * L).fill(1), [2, L]) };
    expect(await code(() => pruned.forward(batch2))).toBe('E_INVALID_OPTION');
    const { image_token_id: _id, ...noToken } = model.config;
    expect(await code(() => withPruning({ config: noToken, sessions: model.sessions, forward: model.forward } as never, { budget: 8, tokenizer: processor }))).toBe(
      'E_BACKBONE_CONFIG',
    );
    const { scale_factor: _s, ...noScale } = model.config;
    expect(await code(() => withPruning({ config: noScale, sessions: model.sessions, forward: model.forward } as never, { budget: 8, tokenizer: processor }))).toBe(
      'E_BACKBONE_CONFIG',
    );
  });
});

describe('idefics3 (Idefics3ForConditionalGeneration) through transformers.js', () => {
  let loaded: Loaded;
  let inputs: Record<string, unknown>;

  beforeAll(async () => {
    // Without image splitting: every image is one 64-px global tile of 16 tokens.
    loaded = await loadTinyIdefics3({ modelType: 'idefics3', doImageSplitting: false, seed: 7 });
    inputs = await loaded.processor(chat(QUESTION), await photo('kite.jpg'));
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('every token kept equals transformers.js; pruned logits equal the hand-pruned sequence', async () => {
    const { model, processor } = loaded;
    expect(model.constructor.name).toBe('Idefics3ForConditionalGeneration');
    expect([inputs['rows'], inputs['cols']]).toEqual([[[0]], [[0]]]);
    const all = withPruning(model, { budget: { ratio: 1 }, tokenizer: processor });
    expect(f32((await all.forward(inputs))['logits'])).toEqual(f32((await model.forward(inputs))['logits']));
    const pruned = withPruning(model, { budget: { keep: 5 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const out = await pruned.generate({ ...inputs, prompt: QUESTION, max_new_tokens: 3, do_sample: false });
    const report = pruned.lastPrune!;
    expect(report.visualTokensBefore).toBe(16);
    expect(report.visualTokensAfter).toBe(5);
    expect(i64(calls[0]!.outputs['echo_position_ids'])).toEqual([...Array(report.sequenceLengthAfter).keys()]);
    const hand = await pruneByHand(loaded, inputs, report.keep);
    expect(f32(calls[0]!.outputs['echo_inputs_embeds'])).toEqual(hand.embeds);
    const L = (inputs['input_ids'] as TjsTensor).dims[1]!;
    const generated = newIds(out, L);
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
  });
});
