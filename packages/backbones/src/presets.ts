import { ResPruneError } from '@resprune/errors';
import type { HfConfigLike } from './types.js';

/**
 * A named, published checkpoint configuration: the `config.json` and `preprocessor_config.json` of
 * a Hugging Face model repository, shipped with its family package so an adapter can be built
 * without downloading anything. Registered by the family packages' `/register` entries.
 *
 * @example
 * ```ts
 * import { backbones } from '@resprune/backbones';
 * import '@resprune/backbone-llava/register';
 * const preset = backbones.preset('llava-1.5-7b');
 * console.log(preset.repo); // 'llava-hf/llava-1.5-7b-hf'
 * ```
 */
export interface BackbonePreset {
  /** Stable kebab-case name: `llava-1.5-7b`, `llava-v1.6-mistral-7b`, `qwen2.5-vl-7b`, … */
  readonly name: string;
  /** The Hugging Face repository the files are from, e.g. `llava-hf/llava-1.5-7b-hf`. */
  readonly repo: string;
  /** `config.json` as published. */
  readonly config: HfConfigLike;
  /** `preprocessor_config.json` as published. */
  readonly preprocessor: HfConfigLike;
  /** npm package that ships the preset (shown in messages). */
  readonly package: string;
}

/**
 * The presets this repository ships, by name, and the package whose `/register` entry adds each
 * (for the message of an unknown or unregistered preset).
 *
 * @example
 * ```ts
 * KNOWN_PRESET_PACKAGES['qwen2.5-vl-3b']; // '@resprune/backbone-qwen-vl'
 * ```
 */
export const KNOWN_PRESET_PACKAGES: Readonly<Record<string, string>> = {
  'llava-1.5-7b': '@resprune/backbone-llava',
  'llava-v1.6-mistral-7b': '@resprune/backbone-llava',
  'llava-v1.6-vicuna-7b': '@resprune/backbone-llava',
  'qwen2.5-vl-3b': '@resprune/backbone-qwen-vl',
  'qwen2.5-vl-7b': '@resprune/backbone-qwen-vl',
};

const NAME = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;

/** Checks a preset's shape (the registry calls it on registration). */
export function checkPreset(preset: BackbonePreset): void {
  const obj = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (
    !obj(preset) ||
    typeof preset.name !== 'string' ||
    !NAME.test(preset.name) ||
    typeof preset.repo !== 'string' ||
    preset.repo === '' ||
    !obj(preset.config) ||
    !obj(preset.preprocessor) ||
    typeof preset.package !== 'string'
  ) {
    throw new ResPruneError(
      'E_INVALID_OPTION',
      `registerPreset: a preset needs a lower-case name (like "llava-1.5-7b"), a repo, a package, and config and preprocessor objects; got name ${JSON.stringify((preset as { name?: unknown } | null)?.name)}`,
    );
  }
}

/** A deep copy of a JSON value, so callers cannot change a shipped preset. */
export function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The E_BACKBONE_UNKNOWN error for a preset name, listing the registered presets and what to import. */
export function unknownPreset(name: string, registered: readonly string[]): ResPruneError {
  const pkg = KNOWN_PRESET_PACKAGES[name];
  const hint =
    pkg !== undefined
      ? `Import "${pkg}/register" to add it.`
      : `Presets this repository ships: ${Object.keys(KNOWN_PRESET_PACKAGES).join(', ')}.`;
  return new ResPruneError(
    'E_BACKBONE_UNKNOWN',
    `Unknown backbone preset "${name}". Registered presets: ${registered.length === 0 ? 'none' : registered.join(', ')}. ${hint}`,
    { details: { preset: name, registered: [...registered] } },
  );
}
