import type * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import type { MethodOptions, Normalize, SelectOptions } from './options.js';

/**
 * What a {@link SelectionMethod} receives: validated, normalised inputs and the resolved budget.
 * Tensors are borrowed: a method must not dispose them and must free what it creates.
 */
export interface MethodInput {
  /** Raw visual tokens `[tokens, hidden]`, float32, finite. */
  readonly visual: tf.Tensor2D;
  /** Tokens after the `normalize` transform `[tokens, hidden]` (the same tensor as `visual` for `'none'`). */
  readonly features: tf.Tensor2D;
  /**
   * `features = transform(visual) × featureScale`, a power of two: 1 except for `'center'` on
   * magnitudes outside [2⁻³², 2³²], which are rescaled exactly to stay inside float32 range. A
   * method reporting squared norms of `features` divides them by `featureScale²`.
   */
  readonly featureScale: number;
  /** Text vectors `[words, hidden]`, or `undefined` without text. */
  readonly text: tf.Tensor2D | undefined;
  /** Relevance r per docs/guide/method.md#1-relevance, `[tokens]` in (0, 1]; all ones without text. */
  readonly relevance: Float32Array;
  /** Token count N. */
  readonly n: number;
  /** Feature size d. */
  readonly d: number;
  /**
   * Picks to return. For a count budget exactly this many; for an energy budget this is `maxKeep`
   * and a method may stop earlier once `energyTarget` is met (never before `minCount`).
   */
  readonly count: number;
  /** Energy budget target τ, or `undefined` for a count budget. */
  readonly energyTarget: number | undefined;
  /** Fewest picks acceptable (`minKeep` for energy budgets, `count` otherwise). */
  readonly minCount: number;
  /** Relevance exponent α ≥ 0 (default 1). */
  readonly alpha: number;
  /** Feature transform used for `features`. */
  readonly normalize: Normalize;
  /** Rank-exhaustion tolerance (default 1e-6). */
  readonly rankTolerance: number;
  /** All options as the caller gave them, for method-specific keys. */
  readonly options: Readonly<SelectOptions & MethodOptions>;
}

/** What a {@link SelectionMethod} returns. */
export interface MethodOutput {
  /** Distinct token indices in pick order. */
  readonly order: Int32Array;
  /** One score per pick, in the method's own units (documented by the method). */
  readonly scores: Float64Array;
  /**
   * The method's own captured-energy curve, one value per pick. Leave out to get the generic
   * unit-weight curve (see {@link selectWith}).
   */
  readonly energy?: Float64Array;
}

/**
 * A token-selection method. ResPrune is one; peers (random, uniform, DivPrune, CDPruner, DART,
 * MMTok, …) register the same way and share input checks, budgets, relevance and result assembly.
 */
export interface SelectionMethod {
  /** Registry key, kebab-case (`'resprune'`, `'divprune'`). */
  readonly name: string;
  /** One line for listings (CLI `--method` help). */
  readonly description: string;
  /** Method-specific option names accepted besides the common ones (e.g. `['seed']`). */
  readonly optionNames?: readonly string[];
  /**
   * Picks tokens. Must return distinct indices in [0, n): exactly `count` of them for a count
   * budget; between `minCount` and `count` for an energy budget.
   */
  select(input: MethodInput): MethodOutput;
}

/**
 * Named {@link SelectionMethod}s. One shared instance, {@link methods}, holds the built-in
 * methods; peers add theirs with {@link MethodRegistry.register}.
 *
 * @example
 * ```ts
 * import { methods } from '@resprune/selector';
 * console.log(methods.names()); // ['resprune', ...]
 * ```
 */
export class MethodRegistry {
  readonly #methods = new Map<string, SelectionMethod>();

  /**
   * Adds a method.
   *
   * @param method - the method; its `name` must be non-empty kebab-case
   * @param options - `override: true` replaces a method of the same name
   * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for a bad name or a duplicate without `override`
   * @example
   * ```ts
   * const registry = new MethodRegistry();
   * registry.register({ name: 'none', description: 'keeps nothing', select: () => ({ order: new Int32Array(0), scores: new Float64Array(0) }) });
   * ```
   */
  register(method: SelectionMethod, options: { readonly override?: boolean } = {}): void {
    if (typeof method?.name !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(method.name) || typeof method.select !== 'function') {
      throw new ResPruneError('E_INVALID_OPTION', `methods.register: a method needs a kebab-case name and a select function, got name ${JSON.stringify(method?.name)}`);
    }
    if (this.#methods.has(method.name) && options.override !== true) {
      throw new ResPruneError('E_INVALID_OPTION', `methods.register: method '${method.name}' is already registered; pass { override: true } to replace it`);
    }
    this.#methods.set(method.name, method);
  }

  /**
   * The method called `name`.
   *
   * @param name - a registered name
   * @returns the method
   * @throws {@link @resprune/errors!ResPruneError} `E_UNKNOWN_METHOD`, listing the registered names
   * @example
   * ```ts
   * import { methods } from '@resprune/selector';
   * methods.get('resprune').description;
   * ```
   */
  get(name: string): SelectionMethod {
    const m = this.#methods.get(name);
    if (m === undefined) {
      throw new ResPruneError('E_UNKNOWN_METHOD', `unknown selection method '${String(name)}'; registered: ${this.names().join(', ')}`, {
        details: { method: name, registered: this.names() },
      });
    }
    return m;
  }

  /**
   * Whether `name` is registered.
   *
   * @param name - a method name
   * @returns true if {@link MethodRegistry.get} would find it
   */
  has(name: string): boolean {
    return this.#methods.has(name);
  }

  /**
   * Registered names, sorted.
   *
   * @returns the names, e.g. `['resprune']`
   */
  names(): string[] {
    return [...this.#methods.keys()].sort();
  }

  /**
   * Removes a method.
   *
   * @param name - a method name
   * @returns whether it was registered
   */
  unregister(name: string): boolean {
    return this.#methods.delete(name);
  }
}
