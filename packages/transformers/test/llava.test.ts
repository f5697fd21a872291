import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPruning, type TjsTensor } from '../src/index.js';
import { f32, greedyByRecompute, i64, llavaChat, loadTiny, newIds, photo, pruneByHand, recomputeLogits, spySession, type Loaded } from './helpers.js';

const QUESTION = 'Describe the horse and the kite.';

describe('llava through transformers.js', () => {
  let loaded: Loaded;
  let inputs: Record<string, unknown>;
  let L: number;
  const N = 64; // (112 / 14)² visual tokens

  beforeAll(async () => {
    loaded = await loadTiny('llava');
    inputs = await loaded.processor(await photo('horses.jpg'), llavaChat(QUESTION));
    L = (inputs['input_ids'] as TjsTensor).dims[1]!;
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('with every token kept, logits and generated ids equal transformers.js’s own, bitwise', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { keep: N }, tokenizer: processor });
    expect(f32((await pruned.forward(inputs))['logits'])).toEqual(f32((await model.forward(inputs))['logits']));
    const a = await pruned.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    const b = await model.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    expect(i64(a)).toEqual(i64(b));
  });

  it('pruned: kept features only, contiguous positions, logits equal the hand-pruned sequence', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    await pruned.forward(inputs);
    // Without a prompt the words come from the whole decoded text, chat roles included.
    expect(pruned.lastPrune!.words).toEqual(expect.arrayContaining(['horse', 'kite']));
    calls.length = 0;
    const ours = await pruned.forward({ ...inputs, prompt: QUESTION });
    const report = pruned.lastPrune!;
    expect(report.visualTokensAfter).toBe(16);
    expect(report.sequenceLengthAfter).toBe(L - N + 16);
    expect(report.words).toEqual(['horse', 'kite']);
    const Lp = report.sequenceLengthAfter;
    expect(i64(calls[0]!.outputs['echo_position_ids'])).toEqual([...Array(Lp).keys()]);
    const hand = await pruneByHand(loaded, inputs, report.keep);
    expect(f32(calls[0]!.outputs['echo_inputs_embeds'])).toEqual(hand.embeds);
    expect(f32(ours['logits'])).toEqual(f32(await recomputeLogits(loaded, hand, [])));
  });

  it('pruned: KV-cached decoding continues at L′ and equals recomputation', async () => {
    const { model, processor } = loaded;
    const pruned = withPruning(model, { budget: { keep: 10 }, tokenizer: processor });
    const calls = spySession(model, 'decoder_model_merged');
    const out = await pruned.generate({ ...inputs, prompt: QUESTION, max_new_tokens: 6, do_sample: false });
    const Lp = pruned.lastPrune!.sequenceLengthAfter;
    const steps = calls.slice(1).map((c) => i64(c.outputs['echo_position_ids']));
    expect(steps).toEqual(steps.map((_, k) => [Lp + k]));
    const generated = newIds(out, L);
    const hand = await pruneByHand(loaded, inputs, pruned.lastPrune!.keep);
    expect(await greedyByRecompute(loaded, hand, generated.length)).toEqual(generated);
  });
});
