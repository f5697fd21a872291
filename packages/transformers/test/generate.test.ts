import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { generateWithPruning, prepareInputs, withPruning, type TjsProcessorLike } from '../src/index.js';
import { f32, i64, llavaChat, loadTiny, photo, qwenChat, qwenMultiImageInputs, type Loaded } from './helpers.js';

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isResPruneError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ResPruneError');
}

describe('generateWithPruning (the CLI contract)', () => {
  let qwen: Loaded;
  let llava: Loaded;
  beforeAll(async () => {
    qwen = await loadTiny('qwen2_5_vl');
    llava = await loadTiny('llava');
  });
  afterAll(async () => {
    await qwen.dispose();
    await llava.dispose();
  });

  it('Qwen, two images: the JSON fields, the dump, and the same ids as withPruning().generate', async () => {
    const question = 'Is the dog near the horse?';
    const text = qwenChat(question, 2);
    const images = [await photo('dog.jpg'), await photo('horses.jpg')];
    const r = await generateWithPruning(qwen.model, qwen.processor as unknown as TjsProcessorLike, {
      images,
      question,
      text,
      budget: { ratio: 0.25 },
      maxNewTokens: 5,
    });
    const json = JSON.parse(JSON.stringify({ ...r, inputsEmbeds: undefined })) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['inputIds', 'kept', 'generatedIds', 'timings', 'positionIds', 'report', 'stopReason', 'text']));
    expect(r.engine).toBe('transformers');
    expect(r.imageSpans).toHaveLength(2);
    expect(r.inputsEmbeds.length).toBe(r.inputsEmbedsShape[0] * r.inputsEmbedsShape[1]);
    expect(r.inputsEmbedsShape).toEqual([r.report.sequenceLengthAfter, qwen.fixture.hidden]);
    expect((r.positionIds as number[][]).map((row) => row.length)).toEqual([3, 3, 3].map(() => r.report.sequenceLengthAfter));
    expect(r.words).toEqual(['dog', 'horse']);
    expect(r.generatedIds.length).toBeGreaterThan(0);
    expect(r.generatedIds.length).toBeLessThanOrEqual(5);
    for (const k of ['preprocessMs', 'visionMs', 'selectionMs', 'prefillMs', 'decodeMsPerToken', 'totalMs'] as const) {
      expect(r.timings[k]).toBeGreaterThanOrEqual(0);
    }
    const inputs = await qwenMultiImageInputs(qwen, text, images);
    expect(i64(inputs['input_ids'])).toEqual(r.inputIds);
    const pruned = withPruning(qwen.model, { budget: { ratio: 0.25 }, tokenizer: qwen.processor });
    const out = await pruned.generate({ ...inputs, prompt: question, max_new_tokens: 5, do_sample: false });
    expect(i64(out).slice(r.inputIds.length)).toEqual(r.generatedIds);
    expect(pruned.lastPrune!.kept).toEqual(r.kept);
  });

  it('prepareInputs: several Qwen images, one image-processor call each', async () => {
    const text = qwenChat('Compare them.', 2);
    const images = [await photo('dog.jpg'), await photo('kite.jpg')];
    const ours = await prepareInputs(qwen.model, qwen.processor as unknown as TjsProcessorLike, text, images);
    const reference = await qwenMultiImageInputs(qwen, text, images);
    expect(i64(ours['input_ids'])).toEqual(i64(reference['input_ids']));
    expect(i64(ours['image_grid_thw'])).toEqual(i64(reference['image_grid_thw']));
    expect(f32(ours['pixel_values'])).toEqual(f32(reference['pixel_values']));
    const grid = i64(ours['image_grid_thw']);
    const pads = i64(ours['input_ids']).filter((x) => x === qwen.model.config['image_token_id']).length;
    expect(pads).toBe((grid[0]! * grid[1]! * grid[2]! + grid[3]! * grid[4]! * grid[5]!) / 4);
  });

  it('no budget: transformers.js’ own generation, every token kept', async () => {
    const question = 'Describe the horse.';
    const text = llavaChat(question);
    const image = await photo('horses.jpg');
    const r = await generateWithPruning(llava.model, llava.processor as unknown as TjsProcessorLike, { images: [image], question, text, maxNewTokens: 4 });
    expect(r.report.visualTokensAfter).toBe(r.report.visualTokensBefore);
    const inputs = await llava.processor(image, text);
    const own = await llava.model.generate({ ...inputs, max_new_tokens: 4, do_sample: false });
    expect(i64(own).slice(r.inputIds.length)).toEqual(r.generatedIds);
    expect(r.positionIds).toEqual([...Array(r.inputIds.length).keys()]);
  });

  it('bad requests get typed errors', async () => {
    const p = qwen.processor as unknown as TjsProcessorLike;
    const image = await photo('dog.jpg');
    expect(await code(() => generateWithPruning(qwen.model, p, { images: [], question: 'x', text: qwenChat('x') }))).toBe('E_INVALID_OPTION');
    expect(await code(() => generateWithPruning(qwen.model, p, { images: [image], question: 'x', text: qwenChat('x', 2) }))).toBe('E_SHAPE_MISMATCH');
    expect(await code(() => generateWithPruning(qwen.model, p, { images: [image], question: 'x', text: qwenChat('x'), maxNewTokens: 0 }))).toBe('E_INVALID_OPTION');
    expect(await code(() => generateWithPruning(qwen.model, p, { images: [image], question: 'x' }))).toBe('E_TOKENIZER');
    const lp = llava.processor as unknown as TjsProcessorLike;
    expect(await code(() => generateWithPruning(llava.model, lp, { images: [image, image], question: 'x', text: llavaChat('x') }))).toBe('E_INVALID_OPTION');
  });
});
