import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '@resprune/test-backends';
import { selectWith } from '@resprune/selector';
import { embedWords, extractKeywords, fromTokenizerJson } from '@resprune/text';
import { withPruning, type TjsTensor } from '../src/index.js';
import {
  argmaxLast,
  f32,
  greedyByRecompute,
  i64,
  loadTiny,
  newIds,
  photo,
  pruneByHand,
  qwenChat,
  qwenMultiImageInputs,
  recomputeLogits,
  spySession,
  tensor,
  type Loaded,
} from './helpers.js';

const QUESTION = 'What is the dog doing?';

describe.each(['qwen2_vl', 'qwen2_5_vl'] as const)('%s through transformers.js', (family) => {
  let loaded: Loaded;
  let inputs: Record<string, unknown>;
  let N: number; // visual tokens of the dog photo
  let L: number;

  beforeAll(async () => {
    loaded = await loadTiny(family);
    inputs = await loaded.processor(qwenChat(QUESTION), await photo('dog.jpg'));
    const grid = i64(inputs['image_grid_thw']);
    N = (grid[0]! * grid[1]! * grid[2]!) / 4;
    L = (inputs['input_ids'] as TjsTensor).dims[1]!;
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('with every token kept, logits and generated ids equal transformers.js’s own, bitwise', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { ratio: 1 }, tokenizer: processor });
    const ours = await pruned.forward(inputs);
    const theirs = await model.forward(inputs);
    expect(f32(ours['logits'])).toEqual(f32(theirs['logits']));
    expect(pruned.lastPrune!.sequenceLengthAfter).toBe(L);

    const a = await pruned.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    const b = await model.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    expect(i64(a)).toEqual(i64(b));
    expect(i64(a).length).toBeGreaterThan(L);
  });

  it('pruned: the decoder receives exactly the kept features and their original M-RoPE ids', async () => {
    const { model, processor } = loaded;
    const keep = 10;
    const pruned = withPruning(model, { budget: { keep }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    await pruned.generate({ ...inputs, prompt: QUESTION, max_new_tokens: 3, do_sample: false });
    const report = pruned.lastPrune!;
    expect(report.visualTokensBefore).toBe(N);
    expect(report.visualTokensAfter).toBe(keep);
    expect(report.sequenceLengthAfter).toBe(L - N + keep);
    expect(report.words).toEqual(['dog']);

    // Rows the decoder got: text embeddings for text rows, the kept image features for image rows.
    const ids = i64(inputs['input_ids']);
    const imageToken = model.config['image_token_id'] as number;
    const text = f32(await model.encode_text({ input_ids: inputs['input_ids'] }));
    const features = f32(await model.encode_image(inputs));
    const H = report.hidden;
    const visualIndex = ids.map((_, r) => ids.slice(0, r).filter((x) => x === imageToken).length);
    const expected = new Float32Array(report.keep.length * H);
    report.keep.forEach((r, i) => {
      const src = ids[r] === imageToken ? features.subarray(visualIndex[r]! * H, (visualIndex[r]! + 1) * H) : text.subarray(r * H, (r + 1) * H);
      expected.set(src, i * H);
    });
    const first = calls[0]!;
    expect(f32(first.outputs['echo_inputs_embeds'])).toEqual(expected);
    expect(report.keep.filter((r) => ids[r] === imageToken)).toHaveLength(keep);
    expect(report.kept.map((k) => report.imageSpans[0]!.start + k)).toEqual(report.keep.filter((r) => ids[r] === imageToken));

    // Positions: transformers.js' own get_rope_index on the full sequence, at the kept rows.
    const hand = await pruneByHand(loaded, inputs, report.keep);
    expect(i64(first.outputs['echo_position_ids'])).toEqual(hand.positions.flat());
    expect(i64(first.outputs['echo_attention_mask'])).toEqual(new Array(report.keep.length).fill(1));
    expect(report.nextPosition).toBe(hand.next);
    expect(report.ropeDelta).toBe(hand.next - report.keep.length);

    // Decoding steps continue at the original max + 1.
    const steps = calls.slice(1).map((c) => i64(c.outputs['echo_position_ids']));
    expect(steps).toEqual(steps.map((_, k) => [0, 1, 2].map(() => hand.next + k)));
  });

  it('pruned: the selection is select() on the encoder’s features with the prompt’s noun vectors', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { keep: 12 }, tokenizer: processor, alpha: 0.5 });
    await pruned.forward(inputs);
    // No prompt given: the words come from the decoded text tokens of the prompt.
    const report = pruned.lastPrune!;
    const decoded = processor.tokenizer.decode(i64(inputs['input_ids']).filter((x) => x !== model.config['image_token_id']), {
      skip_special_tokens: true,
    });
    const { words } = extractKeywords(decoded);
    expect(report.words).toEqual(words);
    const tokenizer = fromTokenizerJson(processor.tokenizer._tokenizerJSON);
    const table = f32(await model.encode_text({ input_ids: tensor('int64', [...Array(loaded.fixture.vocabSize).keys()], [1, loaded.fixture.vocabSize]) }));
    const H = report.hidden;
    const T = embedWords(words, { tokenizer, embeddings: { data: table, vocabSize: loaded.fixture.vocabSize, d: H } });
    const features = f32(await model.encode_image(inputs));
    const expected = selectWith('resprune', { data: features, shape: [N, H] }, { keep: 12, alpha: 0.5, text: { data: T.vectors, shape: [T.m, H] } });
    expect(report.kept).toEqual(Array.from(expected.kept).sort((a, b) => a - b));
  });

  it('pruned: logits equal transformers.js run on the sequence pruned by hand, bitwise', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
    const ours = await pruned.forward(inputs);
    const report = pruned.lastPrune!;
    expect(report.visualTokensAfter).toBe(Math.max(1, Math.round(0.25 * N)));
    const hand = await pruneByHand(loaded, inputs, report.keep);
    expect(report.inputsEmbeds).toEqual(hand.embeds);
    const theirs = await recomputeLogits(loaded, hand, []);
    expect(f32(ours['logits'])).toEqual(f32(theirs));
  });

  it('pruned: KV-cached decoding equals recomputing the whole pruned sequence every step', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { keep: 8 }, tokenizer: processor });
    const out = await expectNoLeak(() => pruned.generate({ ...inputs, prompt: QUESTION, max_new_tokens: 8, do_sample: false }));
    const generated = newIds(out, L);
    expect(generated.length).toBeGreaterThan(0);
    const hand = await pruneByHand(loaded, inputs, pruned.lastPrune!.keep);
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
  });

  it('two images: per-image quotas, original positions, decoding checked by recomputation', async () => {
    const { model, processor } = loaded;
    const two = await qwenMultiImageInputs(loaded, qwenChat('Is the dog near the horse?', 2), [await photo('dog.jpg'), await photo('horses.jpg')]);
    const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const Lfull = (two['input_ids'] as TjsTensor).dims[1]!;
    const out = await pruned.generate({ ...two, max_new_tokens: 4, do_sample: false });
    const report = pruned.lastPrune!;
    expect(report.imageSpans).toHaveLength(2);
    const [a, b] = report.imageSpans as unknown as [{ length: number }, { length: number }];
    expect(report.kept.filter((k) => k < a.length)).toHaveLength(Math.ceil(0.25 * a.length));
    expect(report.kept.filter((k) => k >= a.length)).toHaveLength(Math.ceil(0.25 * b.length));
    expect(report.visualTokensBefore).toBe(a.length + b.length);
    const hand = await pruneByHand(loaded, two, report.keep);
    expect(i64(calls[0]!.outputs['echo_position_ids'])).toEqual(hand.positions.flat());
    const generated = newIds(out, Lfull);
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
  });

  it('text-only prompt: decodes at HF’s positions (max + 1 − L offset), checked by recomputation', async () => {
    const { model, processor } = loaded;
    const textOnly = await processor(`<|im_start|>user\n${QUESTION}<|im_end|>\n<|im_start|>assistant\n`);
    const Lt = (textOnly['input_ids'] as TjsTensor).dims[1]!;
    const pruned = withPruning(model, { budget: { keep: 4 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const out = await pruned.generate({ ...textOnly, max_new_tokens: 4, do_sample: false });
    const generated = newIds(out, Lt);
    const steps = calls.slice(1).map((c) => i64(c.outputs['echo_position_ids']));
    expect(steps).toEqual(steps.map((_, k) => [Lt + k, Lt + k, Lt + k]));
    const text = f32(await model.encode_text({ input_ids: textOnly['input_ids'] }));
    const positions = [0, 1, 2].map(() => [...Array(Lt).keys()]);
    const hand = { embeds: text, positions, next: Lt, hidden: loaded.fixture.hidden };
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
    // The same generation through transformers.js alone starts decoding elsewhere (its 4.3 rope_deltas).
    calls.length = 0;
    await model.generate({ ...textOnly, max_new_tokens: 2, do_sample: false });
    expect(i64(calls[1]!.outputs['echo_position_ids'])).not.toEqual([Lt, Lt, Lt]);
  });

  it('a @resprune/text tokenizer works like the processor; energy budgets stay within their bounds', async () => {
    const { model, processor } = loaded;
    const viaProcessor = withPruning(model, { budget: { keep: 9 }, tokenizer: processor });
    const viaText = withPruning(model, { budget: { keep: 9 }, tokenizer: fromTokenizerJson(processor.tokenizer._tokenizerJSON) });
    await viaProcessor.forward({ ...inputs, prompt: QUESTION });
    await viaText.forward({ ...inputs, prompt: QUESTION });
    expect(viaText.lastPrune!.kept).toEqual(viaProcessor.lastPrune!.kept);
    expect(viaText.lastPrune!.words).toEqual(['dog']);

    const energy = withPruning(model, { budget: { energy: 0.9, minKeep: 3, maxKeep: 20 }, tokenizer: processor });
    await energy.forward({ ...inputs, prompt: QUESTION });
    const after = energy.lastPrune!.visualTokensAfter;
    expect(after).toBeGreaterThanOrEqual(3);
    expect(after).toBeLessThanOrEqual(20);
    expect(energy.lastPrune!.sequenceLengthAfter).toBe(L - N + after);
  });

  it('first logits of a pruned prefill pick the first generated token', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { keep: 5 }, tokenizer: processor });
    const logits = (await pruned.forward(inputs))['logits'] as TjsTensor;
    const out = await pruned.generate({ ...inputs, max_new_tokens: 1, do_sample: false });
    expect(newIds(out, L)).toEqual([argmaxLast(logits)]);
  });
});
