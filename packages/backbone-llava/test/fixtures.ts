import { readFileSync } from 'node:fs';
import type { HfConfigLike } from '@resprune/backbones';

const read = (path: string): HfConfigLike => JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8')) as HfConfigLike;

/** llava-hf/llava-1.5-7b-hf */
export const llava15Config = read('llava-1.5-7b-hf/config.json');
export const llava15Preprocessor = read('llava-1.5-7b-hf/preprocessor_config.json');
/** llava-hf/llava-v1.6-mistral-7b-hf */
export const llavaNextConfig = read('llava-v1.6-mistral-7b-hf/config.json');
export const llavaNextPreprocessor = read('llava-v1.6-mistral-7b-hf/preprocessor_config.json');
