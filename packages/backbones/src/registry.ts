import { isResPruneError, ResPruneError } from '@resprune/errors';
import type { BackboneAdapter } from './adapter.js';
import { checkPreset, copyJson, unknownPreset, type BackbonePreset } from './presets.js';
import type { HfConfigLike } from './types.js';

/**
 * A plugin: one backbone model, how to read its Hugging Face config, and how to build its adapter.
 *
 * @typeParam TConfig - the parsed config the adapter is built from
 * @example
 * ```ts
 * const spec: BackboneSpec<{ side: number }> = defineBackbone({
 *   id: 'toy', modelTypes: ['toy'], package: 'my-toy-adapter',
 *   parseConfig: (raw) => ({ side: readInt(raw, 'side') }),
 *   create: ({ side }) => createAdapter({
 *     id: 'toy', modelType: 'toy', positionScheme: 'sequential',
 *     imageLayout: () => ({ views: [{ name: 'image', rows: side, cols: side }] }),
 *   }),
 * });
 * ```
 */
export interface BackboneSpec<TConfig = unknown> {
  /** Stable public id, kebab-case: `llava-1.5`, `llava-next`, `qwen2.5-vl`. */
  readonly id: string;
  /** HF `config.model_type` values this spec claims. */
  readonly modelTypes: readonly string[];
  /** npm package that provides the spec (shown in error messages). */
  readonly package?: string;
  /** Tie-breaker when several specs claim the same `model_type`. */
  matches?(config: HfConfigLike): boolean;
  /**
   * Reads what the adapter needs from `config.json` (and `preprocessor_config.json` when the family
   * needs it). Throw `E_BACKBONE_CONFIG` with the file, the field and what was expected.
   */
  parseConfig(raw: HfConfigLike, preprocessor?: HfConfigLike): TConfig;
  /** Builds the adapter from the parsed config. */
  create(config: TConfig): BackboneAdapter;
}

/**
 * Options of {@link BackboneRegistry.register}.
 *
 * @example
 * ```ts
 * registry.register(spec, { override: true });
 * ```
 */
export interface RegisterOptions {
  /** Replace a spec already registered under the same id (default false: that throws). */
  readonly override?: boolean;
}

/**
 * The packages of this repository that provide an adapter for a `model_type`, for the message of
 * an unknown type.
 *
 * @example
 * ```ts
 * KNOWN_BACKBONE_PACKAGES['qwen2_5_vl']; // '@resprune/backbone-qwen-vl'
 * ```
 */
export const KNOWN_BACKBONE_PACKAGES: Readonly<Record<string, string>> = {
  llava: '@resprune/backbone-llava',
  llava_next: '@resprune/backbone-llava',
  qwen2_vl: '@resprune/backbone-qwen-vl',
  qwen2_5_vl: '@resprune/backbone-qwen-vl',
  idefics3: '@resprune/backbone-idefics3',
  smolvlm: '@resprune/backbone-idefics3',
};

const ID = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;

/**
 * A set of backbone specs, looked up by id or by a Hugging Face config's `model_type`. Use the
 * process-wide {@link backbones} (filled by `import '@resprune/backbone-…/register'`) or your own
 * instance (tests, multi-tenant servers).
 *
 * @example
 * ```ts
 * const registry = new BackboneRegistry().register(llava15).register(llavaNext);
 * const adapter = registry.fromConfig(configJson);
 * ```
 */
export class BackboneRegistry {
  readonly #specs = new Map<string, BackboneSpec>();
  readonly #presets = new Map<string, BackbonePreset>();

  /**
   * Adds a spec.
   *
   * @param spec - the spec
   * @param options - `override: true` replaces a spec with the same id
   * @returns this registry, for chaining
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_DUPLICATE` when the id is taken and
   *   `override` is not set; `E_INVALID_OPTION` for a malformed spec
   */
  register<T>(spec: BackboneSpec<T>, options: RegisterOptions = {}): this {
    if (
      spec === null ||
      typeof spec !== 'object' ||
      typeof spec.id !== 'string' ||
      !ID.test(spec.id) ||
      !Array.isArray(spec.modelTypes) ||
      spec.modelTypes.length === 0 ||
      !spec.modelTypes.every((t) => typeof t === 'string' && t !== '') ||
      typeof spec.parseConfig !== 'function' ||
      typeof spec.create !== 'function'
    ) {
      throw new ResPruneError(
        'E_INVALID_OPTION',
        `register: a spec needs a lower-case id (like "llava-next"), at least one model type, parseConfig and create; got id ${JSON.stringify((spec as { id?: unknown } | null)?.id)}`,
      );
    }
    if (this.#specs.has(spec.id) && options.override !== true) {
      throw new ResPruneError(
        'E_BACKBONE_DUPLICATE',
        `Backbone "${spec.id}" is already registered; pass { override: true } to replace it`,
        { details: { id: spec.id } },
      );
    }
    this.#specs.set(spec.id, spec as BackboneSpec);
    return this;
  }

  /**
   * Removes a spec.
   *
   * @param id - spec id
   * @returns whether a spec was removed
   */
  unregister(id: string): boolean {
    return this.#specs.delete(id);
  }

  /**
   * Whether a spec with this id is registered.
   *
   * @param id - spec id
   * @returns true when registered
   */
  has(id: string): boolean {
    return this.#specs.has(id);
  }

  /**
   * Registered ids, sorted.
   *
   * @returns the ids
   */
  ids(): string[] {
    return [...this.#specs.keys()].sort();
  }

  /**
   * Registered `model_type`s, sorted.
   *
   * @returns the model types
   */
  modelTypes(): string[] {
    return [...new Set([...this.#specs.values()].flatMap((s) => s.modelTypes))].sort();
  }

  /**
   * The spec with this id.
   *
   * @param id - spec id
   * @returns the spec
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN`, listing what is registered
   */
  get(id: string): BackboneSpec {
    const spec = this.#specs.get(id);
    if (spec === undefined) throw this.#unknown(`id "${id}"`, undefined);
    return spec;
  }

  /**
   * The spec for a config, by `model_type` (and `matches()` when several claim it).
   *
   * @param config - a parsed `config.json`
   * @returns the spec
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` when `model_type` is missing;
   *   `E_BACKBONE_UNKNOWN` when no spec claims it (the message lists what is registered and which
   *   package to import)
   */
  resolve(config: HfConfigLike): BackboneSpec {
    const type = (config as { model_type?: unknown } | null)?.model_type;
    if (typeof type !== 'string' || type === '') {
      throw new ResPruneError(
        'E_BACKBONE_CONFIG',
        `config.json: "model_type" is ${type === undefined ? 'missing' : JSON.stringify(type)}; expected the Hugging Face model type, e.g. "llava"`,
      );
    }
    const candidates = [...this.#specs.values()].filter((s) => s.modelTypes.includes(type));
    if (candidates.length === 0) throw this.#unknown(`model_type "${type}"`, type);
    if (candidates.length === 1) return candidates[0]!;
    // Several specs claim this type: the first whose matches() accepts the config, else the one
    // without a matches() (the family default).
    const spec = candidates.find((s) => s.matches?.(config) === true) ?? candidates.find((s) => s.matches === undefined);
    if (spec === undefined) {
      throw new ResPruneError(
        'E_BACKBONE_UNKNOWN',
        `No backbone accepts this model_type "${type}" config: ${candidates.map((s) => s.id).join(', ')} claim the type but their matches() rejected it`,
      );
    }
    return spec;
  }

  /**
   * Resolves the spec for a config, parses the config and builds the adapter.
   *
   * @param config - a parsed `config.json`
   * @param preprocessor - a parsed `preprocessor_config.json`, for families that read it
   * @returns the adapter
   * @throws {@link @resprune/errors!ResPruneError} as {@link BackboneRegistry.resolve}; `E_BACKBONE_CONFIG`
   *   when the config lacks a field or is inconsistent (other errors from a spec are wrapped with
   *   their cause)
   */
  fromConfig(config: HfConfigLike, preprocessor?: HfConfigLike): BackboneAdapter {
    const spec = this.resolve(config);
    try {
      return spec.create(spec.parseConfig(config, preprocessor));
    } catch (cause) {
      if (isResPruneError(cause)) throw cause;
      throw new ResPruneError(
        'E_BACKBONE_CONFIG',
        `Invalid config for backbone "${spec.id}": ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }

  /**
   * Adds a named preset (a published `config.json` + `preprocessor_config.json`).
   *
   * @param preset - the preset
   * @param options - `override: true` replaces a preset with the same name
   * @returns this registry, for chaining
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_DUPLICATE` when the name is taken and
   *   `override` is not set; `E_INVALID_OPTION` for a malformed preset
   */
  registerPreset(preset: BackbonePreset, options: RegisterOptions = {}): this {
    checkPreset(preset);
    if (this.#presets.has(preset.name) && options.override !== true) {
      throw new ResPruneError('E_BACKBONE_DUPLICATE', `Backbone preset "${preset.name}" is already registered; pass { override: true } to replace it`, {
        details: { preset: preset.name },
      });
    }
    this.#presets.set(preset.name, preset);
    return this;
  }

  /**
   * Registered preset names, sorted.
   *
   * @returns the names
   */
  presetNames(): string[] {
    return [...this.#presets.keys()].sort();
  }

  /**
   * A registered preset, as a deep copy (changing it changes nothing here).
   *
   * @param name - preset name, e.g. `'llava-1.5-7b'`
   * @returns the preset
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` listing the registered
   *   presets and, for a preset this repository ships, the package to import
   */
  preset(name: string): BackbonePreset {
    const preset = this.#presets.get(name);
    if (preset === undefined) throw unknownPreset(String(name), this.presetNames());
    return copyJson(preset);
  }

  /**
   * Builds the adapter of a registered preset: {@link BackboneRegistry.fromConfig} on its files.
   *
   * @param name - preset name
   * @returns the adapter
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` for an unknown preset or
   *   when its family spec is not registered; as {@link BackboneRegistry.fromConfig}
   */
  adapterFromPreset(name: string): BackboneAdapter {
    const preset = this.preset(name);
    return this.fromConfig(preset.config, preset.preprocessor);
  }

  #unknown(what: string, modelType: string | undefined): ResPruneError {
    const registered = [...this.#specs.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((s) => `${s.id} (${s.modelTypes.join(', ')}${s.package === undefined ? '' : ` from ${s.package}`})`);
    const pkg = modelType === undefined ? undefined : KNOWN_BACKBONE_PACKAGES[modelType];
    const hint =
      pkg !== undefined
        ? `Import "${pkg}/register" (or register its spec) to use it.`
        : modelType !== undefined
          ? 'No ResPrune package provides it yet; docs/guide/adding-a-backbone.md shows how to write an adapter.'
          : 'Did you forget to import "@resprune/backbone-<family>/register"?';
    return new ResPruneError(
      'E_BACKBONE_UNKNOWN',
      `Unknown backbone ${what}. Registered: ${registered.length === 0 ? 'none' : registered.join('; ')}. ${hint}`,
      { details: { what, registered: this.ids() } },
    );
  }
}

const KEY = Symbol.for('@resprune/backbones.registry');
type WithRegistry = typeof globalThis & { [KEY]?: BackboneRegistry };

/**
 * The process-wide default registry, shared by every installed copy of this package (stored on
 * `globalThis` under `Symbol.for('@resprune/backbones.registry')`). The `/register` entries of
 * adapter packages fill it.
 *
 * @example
 * ```ts
 * import '@resprune/backbone-llava/register';
 * import { backbones } from '@resprune/backbones';
 * const adapter = backbones.fromConfig(configJson);
 * ```
 */
export const backbones: BackboneRegistry = ((globalThis as WithRegistry)[KEY] ??= new BackboneRegistry());

/**
 * Identity helper that keeps the config type inferred for plugin authors.
 *
 * @param spec - the spec
 * @returns the same spec
 * @example
 * ```ts
 * export const mySpec = defineBackbone({ id: 'my-vlm', modelTypes: ['my_vlm'], parseConfig, create });
 * ```
 */
export function defineBackbone<T>(spec: BackboneSpec<T>): BackboneSpec<T> {
  return spec;
}

/**
 * The names of the presets in the default registry ({@link backbones}), sorted. Import the family
 * packages' `/register` entries first.
 *
 * @returns the names, e.g. `['llava-1.5-7b', 'llava-v1.6-mistral-7b', …]`
 * @example
 * ```ts
 * import '@resprune/backbone-llava/register';
 * import '@resprune/backbone-qwen-vl/register';
 * import { listPresets } from '@resprune/backbones';
 * console.log(listPresets());
 * ```
 */
export function listPresets(): string[] {
  return backbones.presetNames();
}

/**
 * The published `config.json` and `preprocessor_config.json` of a preset in the default registry,
 * as deep copies.
 *
 * @param name - preset name, e.g. `'qwen2.5-vl-7b'`
 * @returns `{ config, preprocessor }`
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` listing the registered presets
 * @example
 * ```ts
 * import '@resprune/backbone-qwen-vl/register';
 * import { presetConfig } from '@resprune/backbones';
 * const { config } = presetConfig('qwen2.5-vl-7b');
 * console.log(config.model_type); // 'qwen2_5_vl'
 * ```
 */
export function presetConfig(name: string): { config: HfConfigLike; preprocessor: HfConfigLike } {
  const { config, preprocessor } = backbones.preset(name);
  return { config, preprocessor };
}

/**
 * The adapter of a preset in the default registry.
 *
 * @param name - preset name, e.g. `'llava-v1.6-mistral-7b'`
 * @returns the adapter
 * @throws {@link @resprune/errors!ResPruneError} as {@link BackboneRegistry.adapterFromPreset}
 * @example
 * ```ts
 * import '@resprune/backbone-llava/register';
 * import { adapterFromPreset } from '@resprune/backbones';
 * adapterFromPreset('llava-1.5-7b').layout({ width: 640, height: 480 }).tokens; // 576
 * ```
 */
export function adapterFromPreset(name: string): BackboneAdapter {
  return backbones.adapterFromPreset(name);
}
