import { readFileSync } from 'node:fs';
import type { HfConfigLike } from '@resprune/backbones';

const read = (path: string): HfConfigLike => JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8')) as HfConfigLike;

/** HuggingFaceTB/SmolVLM2-500M-Video-Instruct (see fixtures/README.md). */
export const smolConfig = read('SmolVLM2-500M-Video-Instruct/config.json');
export const smolPreprocessor = read('SmolVLM2-500M-Video-Instruct/preprocessor_config.json');
export const smolProcessor = read('SmolVLM2-500M-Video-Instruct/processor_config.json');

/**
 * The Idefics3-8B geometry (HuggingFaceM4/Idefics3-8B-Llama3): SigLIP 364 px / patch 14, scale
 * factor 2, transformers' processor defaults (longest edge 4·364, crops of 364), 169 tokens a tile.
 * Written out here from those published numbers, not a copy of the hub files.
 */
export const idefics3Config: HfConfigLike = {
  model_type: 'idefics3',
  image_token_id: 128257,
  scale_factor: 2,
  vision_config: { image_size: 364, patch_size: 14 },
};
export const idefics3Preprocessor: HfConfigLike = { size: { longest_edge: 1456 }, max_image_size: { longest_edge: 364 } };
