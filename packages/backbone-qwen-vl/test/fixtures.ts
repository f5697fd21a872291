import { readFileSync } from 'node:fs';
import type { HfConfigLike } from '@resprune/backbones';

const read = (path: string): HfConfigLike => JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8')) as HfConfigLike;

/** Qwen/Qwen2.5-VL-7B-Instruct */
export const qwen25Config = read('Qwen2.5-VL-7B-Instruct/config.json');
export const qwen25Preprocessor = read('Qwen2.5-VL-7B-Instruct/preprocessor_config.json');

/** Qwen/Qwen2-VL-7B-Instruct */
export const qwen2Config = read('Qwen2-VL-7B-Instruct/config.json');
export const qwen2Preprocessor = read('Qwen2-VL-7B-Instruct/preprocessor_config.json');
