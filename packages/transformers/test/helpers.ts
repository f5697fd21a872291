import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForImageTextToText, AutoProcessor, RawImage, Tensor, cat, env } from '@huggingface/transformers';
import { sharedPath } from '@resprune/test-backends';
import { writeTinyIdefics3, writeTinyVlm, type Family, type TinyIdefics3, type TinyIdefics3Options, type TinyVlm, type TinyVlmOptions } from '@resprune/tiny-vlm';
import type { ModelInputs, TjsTensor, VisionLanguageModel } from '../src/index.js';

/** The transformers.js model as the tests use it (internal methods included). */
export type TjsModel = VisionLanguageModel & {
  get_rope_index(ids: unknown, grid: unknown, video: unknown, mask: unknown): [TjsTensor, TjsTensor];
  _merge_input_ids_with_image_features(kwargs: ModelInputs): { inputs_embeds: TjsTensor };
  sessions: Record<string, { run: (feeds: Record<string, unknown>, ...rest: unknown[]) => Promise<Record<string, unknown>> }>;
  dispose(): Promise<unknown>;
};

export interface Loaded {
  readonly fixture: TinyVlm | TinyIdefics3;
  /** Releases the sessions and deletes the model folder. */
  dispose(): Promise<void>;
  readonly model: TjsModel;
  readonly processor: {
    tokenizer: { decode: (ids: number[], o?: unknown) => string; _tokenizerJSON: unknown };
    image_processor: (images: unknown) => Promise<Record<string, TjsTensor>>;
    (...args: unknown[]): Promise<ModelInputs>;
  };
}

/** Writes a tiny model of `family` to a fresh temp folder and loads it offline with transformers.js. */
export async function loadTiny(family: Family, options: Partial<TinyVlmOptions> = {}): Promise<Loaded> {
  const root = mkdtempSync(join(tmpdir(), 'resprune-tjs-'));
  return loadFolder(root, family, writeTinyVlm(join(root, family), { family, ...options }));
}

/** Writes a tiny SmolVLM (or Idefics3) model to a fresh temp folder and loads it offline. */
export async function loadTinyIdefics3(options: TinyIdefics3Options = {}): Promise<Loaded> {
  const root = mkdtempSync(join(tmpdir(), 'resprune-tjs-'));
  const name = options.modelType ?? 'smolvlm';
  return loadFolder(root, name, writeTinyIdefics3(join(root, name), options));
}

async function loadFolder(root: string, family: string, fixture: TinyVlm | TinyIdefics3): Promise<Loaded> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root + '/';
  const model = (await AutoModelForImageTextToText.from_pretrained(family, { dtype: 'fp32', device: 'cpu' })) as unknown as TjsModel;
  const processor = (await AutoProcessor.from_pretrained(family)) as unknown as Loaded['processor'];
  const dispose = async (): Promise<void> => {
    await model.dispose();
    rmSync(root, { recursive: true, force: true });
  };
  return { fixture, model, processor, dispose };
}

export async function photo(name: string): Promise<unknown> {
  return RawImage.read(sharedPath('images', name));
}

export const QWEN_IMAGE = '<|vision_start|><|image_pad|><|vision_end|>';

export function qwenChat(question: string, images = 1): string {
  return `<|im_start|>user\n${QWEN_IMAGE.repeat(images)}${question}<|im_end|>\n<|im_start|>assistant\n`;
}

export function llavaChat(question: string): string {
  return `user\n<image>\n${question}\nassistant\n`;
}

/** Records the feeds and outputs of every run of a session (the decoder echoes its inputs). */
export function spySession(model: TjsModel, name: string): Array<{ feeds: Record<string, unknown>; outputs: Record<string, unknown> }> {
  const session = model.sessions[name]!;
  const calls: Array<{ feeds: Record<string, unknown>; outputs: Record<string, unknown> }> = [];
  const original = session.run.bind(session);
  session.run = async (feeds, ...rest) => {
    const outputs = await original(feeds, ...rest);
    calls.push({ feeds, outputs });
    return outputs;
  };
  return calls;
}

/** Float32 data of an ORT/transformers.js tensor-like. */
export function f32(t: unknown): Float32Array {
  return (t as { data: Float32Array }).data;
}

export function i64(t: unknown): number[] {
  return Array.from((t as { data: BigInt64Array }).data, Number);
}

export function argmaxLast(logits: TjsTensor): number {
  const V = logits.dims.at(-1)!;
  const data = logits.data as Float32Array;
  const off = data.length - V;
  let best = 0;
  for (let v = 1; v < V; v++) if (data[off + v]! > data[off + best]!) best = v;
  return best;
}

export function tensor(type: 'int64' | 'float32', data: ArrayLike<number>, dims: number[]): TjsTensor {
  const arr = type === 'int64' ? BigInt64Array.from(Array.from(data), (x) => BigInt(x)) : Float32Array.from(data);
  return new Tensor(type, arr, dims) as unknown as TjsTensor;
}

/**
 * Several images through the Qwen processor one at a time (transformers.js 4.3's processor treats a
 * list of images as video frames): pixel_values and image_grid_thw concatenated in prompt order.
 */
export async function qwenMultiImageInputs(loaded: Loaded, text: string, images: unknown[]): Promise<ModelInputs> {
  const parts = [];
  for (const image of images) parts.push(await loaded.processor.image_processor(image));
  const pixel_values = cat(parts.map((p) => p['pixel_values'] as never), 0);
  const image_grid_thw = cat(parts.map((p) => p['image_grid_thw'] as never), 0);
  let expanded = text;
  for (const p of parts) {
    const [t, h, w] = Array.from(p['image_grid_thw']!.data as BigInt64Array, Number);
    expanded = expanded.replace('<|image_pad|>', '<|placeholder|>'.repeat((t! * h! * w!) / 4));
  }
  expanded = expanded.replaceAll('<|placeholder|>', '<|image_pad|>');
  const tok = (loaded.processor as unknown as { tokenizer: (t: string[]) => ModelInputs }).tokenizer([expanded]);
  return { ...tok, pixel_values, image_grid_thw };
}

/** A prompt pruned by hand with transformers.js' own pieces: its merge, its get_rope_index. */
export interface HandPruned {
  /** `[L', H]` rows of transformers.js' merged inputs_embeds at `keep`. */
  readonly embeds: Float32Array;
  /** Position rows at `keep`: `[3][L']` (M-RoPE, from get_rope_index on the full sequence) or `[1][L']` (0 … L'−1: LLaVA, SmolVLM). */
  readonly positions: number[][];
  /** First decoding position: max + 1 of the full sequence (M-RoPE) or L'. */
  readonly next: number;
  readonly hidden: number;
}

export async function pruneByHand(loaded: Loaded, inputs: ModelInputs, keep: readonly number[]): Promise<HandPruned> {
  const { model } = loaded;
  const ids = inputs['input_ids'] as TjsTensor;
  const textEmbeds = await model.encode_text({ input_ids: ids });
  const features = await model.encode_image(inputs);
  const { inputs_embeds } = model._merge_input_ids_with_image_features({
    image_features: features,
    inputs_embeds: textEmbeds,
    input_ids: ids,
    attention_mask: inputs['attention_mask'],
  });
  const H = inputs_embeds.dims.at(-1)!;
  const full = f32(inputs_embeds);
  const embeds = new Float32Array(keep.length * H);
  keep.forEach((r, i) => embeds.set(full.subarray(r * H, (r + 1) * H), i * H));
  if (loaded.fixture.family !== 'qwen2_vl' && loaded.fixture.family !== 'qwen2_5_vl') {
    return { embeds, positions: [keep.map((_, i) => i)], next: keep.length, hidden: H };
  }
  const [pos] = model.get_rope_index(ids, inputs['image_grid_thw'], null, inputs['attention_mask']);
  const L = ids.dims[1]!;
  const rows = [0, 1, 2].map((k) => i64(pos).slice(k * L, (k + 1) * L));
  const next = Math.max(...rows.flat()) + 1;
  return { embeds, positions: rows.map((row) => keep.map((r) => row[r]!)), next, hidden: H };
}

/** Decoder inputs for a whole (pruned) sequence plus generated tokens, no cache. */
export async function recomputeLogits(loaded: Loaded, hand: HandPruned, generated: readonly number[]): Promise<TjsTensor> {
  const { model } = loaded;
  const H = hand.hidden;
  const extra = generated.length > 0 ? f32(await model.encode_text({ input_ids: tensor('int64', generated, [1, generated.length]) })) : new Float32Array(0);
  const L = hand.embeds.length / H + generated.length;
  const embeds = new Float32Array(L * H);
  embeds.set(hand.embeds);
  embeds.set(extra, hand.embeds.length);
  const tail = generated.map((_, k) => hand.next + k);
  const positions = hand.positions.map((row) => [...row, ...tail]);
  const position_ids =
    positions.length === 3 ? tensor('int64', positions.flat(), [3, 1, L]) : tensor('int64', positions[0]!, [1, L]);
  const out = await model.forward({
    inputs_embeds: tensor('float32', embeds, [1, L, H]),
    attention_mask: tensor('int64', new Array(L).fill(1), [1, L]),
    position_ids,
  });
  return out['logits'] as TjsTensor;
}

/** Greedy decoding by recomputing the whole sequence every step (no KV cache). */
export async function greedyByRecompute(loaded: Loaded, hand: HandPruned, steps: number): Promise<number[]> {
  const generated: number[] = [];
  for (let s = 0; s < steps; s++) generated.push(argmaxLast(await recomputeLogits(loaded, hand, generated)));
  return generated;
}

/** The ids generate() produced after the prompt. */
export function newIds(sequences: unknown, promptLength: number): number[] {
  return i64(sequences).slice(promptLength);
}
