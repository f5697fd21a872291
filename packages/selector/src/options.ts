import { ResPruneError } from '@resprune/errors';
import type { BudgetOptions } from './budget.js';
import type { MatrixInput } from './input.js';

/** Feature transforms for the energy (docs/guide/method.md#3-feature-transform). */
export const NORMALIZE_MODES = ['none', 'l2', 'center'] as const;

/** `'none'` (raw tokens), `'l2'` (unit rows) or `'center'` (mean token subtracted). */
export type Normalize = (typeof NORMALIZE_MODES)[number];

/** Options of {@link select} and {@link selectWith}: one budget plus the method's settings. */
export type SelectOptions = BudgetOptions & {
  /** Text vectors `[words, hidden]` for relevance; omitted or zero rows means no conditioning (r = 1). */
  readonly text?: MatrixInput | undefined;
  /** Relevance exponent α ≥ 0 (finite); weights are r^α. Default 1; 0 ignores the text. */
  readonly alpha?: number | undefined;
  /** Feature transform for the energy; relevance always uses the raw tokens. Default `'none'`. */
  readonly normalize?: Normalize | undefined;
  /** Rank-exhaustion tolerance in [0, 1), relative to the largest initial score. Default 1e-6. */
  readonly rankTolerance?: number | undefined;
};

/** Extra, method-specific options accepted by {@link selectWith} (see each method's `optionNames`). */
export type MethodOptions = Readonly<Record<string, unknown>>;

/** Option names every method accepts. */
export const COMMON_OPTIONS = ['text', 'keep', 'ratio', 'energy', 'minKeep', 'maxKeep', 'alpha', 'normalize', 'rankTolerance'] as const;

/** Defaults of the common options. */
export const DEFAULTS = { alpha: 1, normalize: 'none' as Normalize, rankTolerance: 1e-6 } as const;

/** Validated common settings. */
export interface CommonSettings {
  readonly alpha: number;
  readonly normalize: Normalize;
  readonly rankTolerance: number;
}

/** Checks the option object, unknown keys, `alpha`, `normalize` and `rankTolerance`. */
export function readCommonOptions(op: string, options: unknown, methodName: string, extra: readonly string[]): CommonSettings {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: options must be an object with a budget ({ keep }, { ratio } or { energy }), got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  const known = new Set<string>([...COMMON_OPTIONS, ...extra]);
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !known.has(key)) {
      throw new ResPruneError('E_INVALID_OPTION', `${op}: unknown option '${key}' for method '${methodName}'; valid options: ${[...known].join(', ')}`, {
        details: { option: key, valid: [...known] },
      });
    }
  }
  const alpha = o['alpha'] ?? DEFAULTS.alpha;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: alpha must be a finite number >= 0, got ${typeof alpha === 'number' ? String(alpha) : typeof alpha}`, {
      details: { option: 'alpha', value: alpha },
    });
  }
  const normalize = o['normalize'] ?? DEFAULTS.normalize;
  if (!(NORMALIZE_MODES as readonly unknown[]).includes(normalize)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: normalize must be one of ${NORMALIZE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(normalize)}`, {
      details: { option: 'normalize', value: normalize, valid: NORMALIZE_MODES },
    });
  }
  const rankTolerance = o['rankTolerance'] ?? DEFAULTS.rankTolerance;
  if (typeof rankTolerance !== 'number' || !(rankTolerance >= 0 && rankTolerance < 1)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: rankTolerance must be a number in [0, 1), got ${typeof rankTolerance === 'number' ? String(rankTolerance) : typeof rankTolerance}`, {
      details: { option: 'rankTolerance', value: rankTolerance },
    });
  }
  return { alpha, normalize: normalize as Normalize, rankTolerance };
}
