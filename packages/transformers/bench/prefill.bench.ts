/**
 * Prefill time through transformers.js on onnxruntime-node, pruned vs unpruned, for a randomly
 * initialised Qwen2.5-VL-shaped model written by the test fixture (M-RoPE decoder with KV cache,
 * 2×2-merging vision encoder). Sizes come from the environment so the default stays small:
 *
 *   BENCH_HIDDEN=256 BENCH_HEADS=8 BENCH_LAYERS=4 BENCH_MAX_PIXELS=401408 \
 *     pnpm exec vitest bench --config packages/transformers/bench/vitest.config.ts
 *
 * Each bench is one `forward` over the whole prompt (embed_tokens, vision_encoder, then the
 * decoder's prefill; the pruned ones add text vectors, selection and the gather), which is what the
 * first token costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { AutoModelForImageTextToText, AutoProcessor, RawImage, env } from '@huggingface/transformers';
import { sharedPath } from '@resprune/test-backends';
import { registerFastKernels } from '@resprune/selector';
import { withPruning, type ModelInputs, type VisionLanguageModel } from '../src/index.js';
import { writeTinyVlm } from '@resprune/tiny-vlm';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const hidden = num('BENCH_HIDDEN', 256);
const heads = num('BENCH_HEADS', 8);
const layers = num('BENCH_LAYERS', 4);
const maxPixels = num('BENCH_MAX_PIXELS', 28 * 28 * 512);

// Selection on the WebAssembly SIMD fast path, as the CLI and the web demo run it.
await registerFastKernels();

const root = mkdtempSync(join(tmpdir(), 'resprune-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
writeTinyVlm(join(root, 'qwen2_5_vl'), { family: 'qwen2_5_vl', hidden, heads, layers, maxPixels });
env.allowRemoteModels = false;
env.localModelPath = root + '/';
const model = (await AutoModelForImageTextToText.from_pretrained('qwen2_5_vl', { dtype: 'fp32', device: 'cpu' })) as unknown as VisionLanguageModel;
const processor = (await AutoProcessor.from_pretrained('qwen2_5_vl')) as unknown as (...a: unknown[]) => Promise<ModelInputs>;
const question = 'What is the dog doing?';
const inputs = await processor(
  `<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>${question}<|im_end|>\n<|im_start|>assistant\n`,
  await RawImage.read(sharedPath('images', 'dog.jpg')),
);
const grid = Array.from((inputs['image_grid_thw'] as { data: BigInt64Array }).data, Number);
const tokens = (grid[0]! * grid[1]! * grid[2]!) / 4;
console.log(`qwen2.5-vl-shaped: hidden ${hidden}, ${heads} heads, ${layers} layers; dog.jpg → ${tokens} visual tokens`);

// Many samples: on a shared machine the minimum is the steadiest figure.
const options = { iterations: 30, time: 0, warmupIterations: 3 };

describe(`prefill, ${tokens} visual tokens`, () => {
  bench('unpruned (transformers.js)', async () => {
    await model.forward(inputs);
  }, options);
  for (const ratio of [0.5, 0.25, 0.1]) {
    const pruned = withPruning(model, { budget: { ratio }, tokenizer: processor as never });
    bench(`pruned, ratio ${ratio}`, async () => {
      await pruned.forward({ ...inputs, prompt: question });
    }, options);
  }
});
