// Preprocesses a photo as three Hugging Face checkpoints do, and shows how far sharp's cubic
// resize (what ResPrune used before) is from Pillow's. Run from packages/image-processing after
// `pnpm turbo run build`:  node examples/hf-pixels.mjs ../../../shared/images/dog.jpg
import sharp from 'sharp';
import { parseImageProcessorConfig, preprocessImage, resizePil } from '@resprune/image-processing';
import { decodeRgbFile } from '@resprune/image-processing/node';

const path = process.argv[2] ?? '../../../shared/images/dog.jpg';
const img = await decodeRgbFile(path); // load_image: EXIF transpose + convert("RGB")
console.log(`${path}: ${img.width}x${img.height}`);

const configs = {
  'llava-1.5-7b-hf': { image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: 336 }, crop_size: { height: 336, width: 336 } },
  'llava-v1.6-mistral-7b-hf': {
    image_processor_type: 'LlavaNextImageProcessor', size: { shortest_edge: 336 }, crop_size: { height: 336, width: 336 },
    image_grid_pinpoints: [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
  },
  'Qwen2.5-VL-7B-Instruct': { image_processor_type: 'Qwen2VLImageProcessor', min_pixels: 3136, max_pixels: 12845056 },
};
for (const [name, json] of Object.entries(configs)) {
  const out = preprocessImage(img, parseImageProcessorConfig(json));
  const extra = out.kind === 'llava-next' ? ` grid ${out.grid.join('x')}` : out.kind === 'qwen2-vl' ? ` image_grid_thw [${out.imageGridThw}]` : '';
  console.log(`${name}: pixel_values [${out.shape}]${extra}, first ${Array.from(out.pixelValues.subarray(0, 3), (v) => v.toFixed(6)).join(' ')}`);
}

// The CLIP resize of this photo with Pillow's filter and with sharp's cubic kernel.
const w = Math.trunc((336 * img.width) / img.height);
const pil = resizePil(img, w, 336);
const { data } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
  .resize(w, 336, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
let differ = 0;
let max = 0;
for (let i = 0; i < data.length; i++) {
  const d = Math.abs(data[i] - pil.data[i]);
  if (d > 0) differ++;
  max = Math.max(max, d);
}
console.log(`resize to ${w}x336: sharp cubic differs from Pillow bicubic in ${differ} of ${data.length} bytes (${((100 * differ) / data.length).toFixed(1)}%), by up to ${max}`);
