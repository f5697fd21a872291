import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ResPruneError } from '@resprune/errors';
import { readRegularFileSync } from '@resprune/node-files';
import {
  BackboneRegistry,
  assertTokenCount,
  layoutToJson,
  planBudget,
  positionsToJson,
  validateImageSize,
  visualPositions,
  type BackboneAdapter,
  type Budget,
  type BudgetPlan,
  type BudgetPolicy,
  type HfConfigLike,
  type ImageSize,
  type NewlinePolicy,
  type VisualLayout,
} from '@resprune/backbones';
import { llava15, llavaNext } from '@resprune/backbone-llava';
import { qwen25vl, qwen2vl } from '@resprune/backbone-qwen-vl';
import '@resprune/backbone-llava/register';
import '@resprune/backbone-qwen-vl/register';
import { listPresets, presetConfig } from '@resprune/backbones';
import { type CliIO, OUTPUT_FLAGS, reportError } from '../io.js';

/** Where `layout` writes: the CLI's streams (kept as a name for callers of {@link layoutCommand}). */
export type LayoutIO = CliIO;

/** Largest config.json / preprocessor_config.json read: 64 MiB, as the pipeline's checkpoint files. */
const MAX_CONFIG_BYTES = 64 << 20;

const HELP = (): string => `Usage: resprune layout (--config config.json [--preprocessor preprocessor_config.json] | --preset NAME) --image-size WxH [--image-size WxH ...] [--json]

Prints the visual token layout of a backbone for image sizes: how many tokens (the number of image
placeholders the Hugging Face processor inserts), the grid and span of each view, and the indices of
newline tokens. The backbone is chosen by the config's model_type: llava (LLaVA-1.5), llava_next
(LLaVA-NeXT), qwen2_5_vl (Qwen2.5-VL), qwen2_vl (Qwen2-VL).
  --config FILE         the model's config.json
  --preprocessor FILE   its preprocessor_config.json (Qwen: pixel bounds; without it, transformers' defaults)
  --preset NAME         a published model's config.json and preprocessor_config.json instead of files:
                        ${listPresets().join(', ')}
  --image-size WxH      original image size in pixels; repeat for a multi-image prompt, in prompt order
  --json                print {"backbone","modelType","tokens","views":[{"rows","cols","start","length"}],"newlines",...}
`;

/** Every adapter of this repository, in one registry. */
export function backboneRegistry(): BackboneRegistry {
  return new BackboneRegistry().register(llava15).register(llavaNext).register(qwen25vl).register(qwen2vl);
}

function readJson(path: string, what: string): HfConfigLike {
  if (!existsSync(path)) throw new ResPruneError('E_FILE_NOT_FOUND', `${what} ${path} does not exist`, { details: { path } });
  // Regular files only (a FIFO or /dev/zero is refused without being opened), at most 64 MiB.
  const bytes = readRegularFileSync(path, { op: what, maxBytes: MAX_CONFIG_BYTES, raise: 'a config this large is not a real config.json' });
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ResPruneError(
      'E_BACKBONE_CONFIG',
      `${what} ${path} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ResPruneError('E_BACKBONE_CONFIG', `${what} ${path} must hold a JSON object`);
  }
  return value as HfConfigLike;
}

/**
 * Reads config.json (and preprocessor_config.json) and builds the adapter for its model_type.
 * Throws E_FILE_NOT_FOUND, E_BACKBONE_CONFIG or E_BACKBONE_UNKNOWN.
 */
export function loadBackbone(configPath: string, preprocessorPath?: string): BackboneAdapter {
  if (configPath.startsWith('preset:')) {
    const { config, preprocessor } = presetConfig(configPath.slice('preset:'.length));
    return backboneRegistry().fromConfig(config, preprocessor);
  }
  const config = readJson(configPath, 'config');
  const preprocessor = preprocessorPath === undefined ? undefined : readJson(preprocessorPath, 'preprocessor config');
  return backboneRegistry().fromConfig(config, preprocessor);
}

/** Parses "WxH" (e.g. 1100x808) into an image size; E_IMAGE_SIZE when malformed or zero. */
export function parseImageSize(text: string): ImageSize {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text);
  if (match === null) {
    throw new ResPruneError('E_IMAGE_SIZE', `--image-size expects WxH in pixels (e.g. 1100x808), got "${text}"`);
  }
  const size = { width: Number(match[1]), height: Number(match[2]) };
  validateImageSize(size, `--image-size ${text}`);
  return size;
}

/** The flags `resprune select` gains to follow a backbone (values as parseArgs gives them). */
export interface BackboneFlags {
  readonly config?: string | undefined;
  readonly preset?: string | undefined;
  readonly preprocessor?: string | undefined;
  readonly 'image-size'?: readonly string[] | undefined;
  readonly policy?: string | undefined;
  readonly newlines?: string | undefined;
  readonly 'min-tokens'?: string | undefined;
}

/** What `select` needs to run per unit, then to report positions. */
export interface BackboneSelection {
  readonly adapter: BackboneAdapter;
  readonly layout: VisualLayout;
  readonly plan: BudgetPlan;
}

/**
 * Where the backbone config comes from: `--config FILE`, or `--preset NAME` (encoded as `preset:NAME` for
 * {@link loadBackbone}); undefined when neither is given. Both at once, or `--preprocessor` with a preset, is an error.
 */
function configSource(flags: { readonly config?: string | undefined; readonly preset?: string | undefined; readonly preprocessor?: string | undefined }): string | undefined {
  if (flags.config !== undefined && flags.preset !== undefined) throw new ResPruneError('E_INVALID_OPTION', 'give --config or --preset, not both');
  if (flags.preset !== undefined && flags.preprocessor !== undefined) {
    throw new ResPruneError('E_INVALID_OPTION', '--preset brings its own preprocessor_config.json; drop --preprocessor');
  }
  if (flags.preset !== undefined) {
    presetConfig(flags.preset); // E_BACKBONE_UNKNOWN listing the presets
    return `preset:${flags.preset}`;
  }
  return flags.config;
}

function choice<T extends string>(flag: string, raw: string | undefined, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ResPruneError('E_INVALID_OPTION', `--${flag} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * For `resprune select --config … --image-size …`: loads the backbone, lays out the images, checks
 * that the visual matrix has `rows` = layout tokens, and splits the budget into per-unit quotas.
 * Returns undefined when --config is not given (plain selection). Run the selector once per
 * `plan.units[u]` on the rows `unit.candidates` with `unit.budget`, then call
 * {@link finishBackboneSelection}.
 */
export function prepareBackboneSelection(flags: BackboneFlags, budget: Budget, rows: number): BackboneSelection | undefined {
  const sizes = flags['image-size'] ?? [];
  const source = configSource(flags);
  if (source === undefined) {
    const stray = (['preprocessor', 'policy', 'newlines', 'min-tokens'] as const).find((f) => flags[f] !== undefined);
    if (sizes.length > 0 || stray !== undefined) {
      throw new ResPruneError('E_INVALID_OPTION', `--${sizes.length > 0 ? 'image-size' : stray} needs --config config.json`);
    }
    return undefined;
  }
  if (sizes.length === 0) throw new ResPruneError('E_INVALID_OPTION', `--${flags.preset === undefined ? 'config' : 'preset'} needs at least one --image-size WxH`);
  const adapter = loadBackbone(source, flags.preprocessor);
  const layout = adapter.layout(sizes.map(parseImageSize));
  assertTokenCount(layout, rows, '--visual');
  const policy = choice<BudgetPolicy>('policy', flags.policy, ['global', 'per-view', 'per-crop']);
  const newlines = choice<NewlinePolicy>('newlines', flags.newlines, ['drop', 'keep', 'keep-rows', 'select']);
  let minTokens: number | undefined;
  if (flags['min-tokens'] !== undefined) {
    minTokens = Number(flags['min-tokens']);
    if (flags['min-tokens'].trim() === '' || !Number.isSafeInteger(minTokens) || minTokens < 0) {
      throw new ResPruneError('E_BUDGET', `--min-tokens must be an integer >= 0, got "${flags['min-tokens']}"`);
    }
  }
  const plan = planBudget(layout, budget, {
    ...(policy === undefined ? {} : { policy }),
    ...(newlines === undefined ? {} : { newlines }),
    ...(minTokens === undefined ? {} : { minTokens }),
  });
  return { adapter, layout, plan };
}

/**
 * After selection: the kept visual tokens (after the newline rule) and their positions in the
 * backbone's scheme (LLaVA: 0 … K − 1; Qwen: [t, h, w]), for `select --json`.
 */
export function finishBackboneSelection(
  selection: BackboneSelection,
  kept: ArrayLike<number>,
): { readonly kept: number[]; readonly positions: number[] | number[][] } {
  const { visual, positions } = visualPositions(selection.layout, kept, {
    newlines: selection.plan.newlines,
    minTokens: selection.plan.minTokens,
  });
  return { kept: [...visual], positions: positionsToJson(positions) };
}

function describeLayout(layout: VisualLayout): string {
  const lines = [
    `${layout.backbone} (model_type ${layout.modelType}): ${layout.tokens} visual tokens for ${layout.images.length} image${layout.images.length === 1 ? '' : 's'}; positions ${layout.positionScheme}`,
  ];
  for (const image of layout.images) {
    const extra = Object.entries(image.details)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(', ');
    lines.push(
      `image ${image.index}: ${image.size.width}x${image.size.height} -> tokens ${image.start}..${image.start + image.length - 1} (${image.length})${extra === '' ? '' : `; ${extra}`}`,
    );
    for (const v of image.views) {
      const grid = `${v.rows}x${v.cols}${v.newlineAfterRow ? ' + newline per row' : ''}`;
      lines.push(`  ${v.name.padEnd(6)} ${grid.padEnd(24)} start ${String(v.start).padEnd(6)} length ${v.length}`);
    }
  }
  const nl = layout.newlines;
  lines.push(
    nl.length === 0
      ? 'newlines: none'
      : `newlines: ${nl.length} (${nl.slice(0, 4).join(', ')}${nl.length > 4 ? `, … ${nl[nl.length - 1]}` : ''})`,
  );
  lines.push(`budget defaults: policy ${layout.defaults.policy}, newlines ${layout.defaults.newlines}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `resprune layout`: see HELP. Exit 0 on success, 2 on bad input (one line on stderr), 1 on a bug.
 */
export async function layoutCommand(argv: string[], io: LayoutIO): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        preset: { type: 'string' },
        preprocessor: { type: 'string' },
        'image-size': { type: 'string', multiple: true },
        ...OUTPUT_FLAGS,
      },
    });
    if (values.help) {
      io.stdout(HELP());
      return 0;
    }
    const source = configSource(values);
    if (source === undefined) throw new ResPruneError('E_INVALID_OPTION', '--config config.json (or --preset NAME) is required');
    const sizes = values['image-size'] ?? [];
    if (sizes.length === 0) throw new ResPruneError('E_INVALID_OPTION', '--image-size WxH is required (repeat it for several images)');
    const images = sizes.map(parseImageSize);
    const adapter = loadBackbone(source, values.preprocessor);
    const layout = adapter.layout(images);
    const sibling = values.config === undefined ? '' : join(dirname(values.config), 'preprocessor_config.json');
    if (values.config !== undefined && values.preprocessor === undefined && existsSync(sibling)) {
      // transformers would read it (AutoProcessor loads the model folder): say so when it changes the count.
      let withIt: number | undefined;
      try {
        withIt = loadBackbone(values.config!, sibling).layout(images).tokens;
      } catch {
        withIt = undefined;
      }
      if (withIt !== undefined && withIt !== layout.tokens) {
        io.stderr(
          `resprune layout: note: ${sibling} was not read (pass --preprocessor); with it, the images would be ${withIt} tokens, not ${layout.tokens}\n`,
        );
      }
    }
    io.stdout(values.json ? `${JSON.stringify(layoutToJson(layout))}\n` : describeLayout(layout));
    return 0;
  } catch (error) {
    return reportError(error, io, 'layout');
  }
}
