/**
 * What `generate` and `embed` share: the flags of one LVLM request, their validation before any weight loads,
 * loading with a progress bar, and the three files of `--dump-embeds`.
 */
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ResPruneError } from '@resprune/errors';
import { writeNpy } from '@resprune/npy';
import { checkOutputPath, checkRegularFile, type OutputFile } from '@resprune/node-files';
import type { BudgetPolicy } from '@resprune/backbones';
import { methods } from '@resprune/selector';
import { checkBudget, loadPipeline, type GenerateRequest, type LlmInputs, type LvlmPipeline, type NewlineRule, type RgbImage } from '@resprune/pipeline';
import type { BackendRequest } from '@resprune/tfjs-backends';
import { BUDGET_FLAGS, budgetFromFlags, ENERGY_BOUND_FLAGS } from './budget.js';
import { checkAborted, type CliIO, parseChoice, parseNumber, progressBar, usageError } from './io.js';
import { MAX_PIXELS_FLAG, maxPixelsFromFlags } from './limits.js';

/** The parseArgs options of one LVLM request (`generate` and `embed`). */
export const LVLM_FLAGS = {
  model: { type: 'string' },
  image: { type: 'string', multiple: true },
  prompt: { type: 'string' },
  ...BUDGET_FLAGS,
  ...ENERGY_BOUND_FLAGS,
  method: { type: 'string' },
  alpha: { type: 'string' },
  newlines: { type: 'string' },
  policy: { type: 'string' },
  'dump-embeds': { type: 'string' },
  backend: { type: 'string' },
  ...MAX_PIXELS_FLAG,
} as const;

/** Help lines of {@link LVLM_FLAGS}. */
export const LVLM_HELP = `  --model DIR             checkpoint directory (config.json model_type llava, llava_next, qwen2_vl or qwen2_5_vl)
  --image FILE            JPEG / PNG / WebP photo; repeat for several images (one placeholder each, in order)
  --prompt TEXT           user prompt (rendered through the checkpoint's chat template)
  --keep K | --ratio R | --energy E   visual-token budget over all images (at most one; each image keeps its share)
  --min-keep K, --max-keep K          bounds for --energy
  --method M              selection method (default resprune; any registered in @resprune/selector)
  --alpha A               text-relevance exponent passed to the selector
  --newlines RULE         LLaVA-NeXT image_newline rule: keep-rows | keep | drop | select (default keep-rows)
  --policy P              how the budget is split inside each image: global (default) | per-view (LLaVA-NeXT base
                          view and crop grid get ceil(n*f) each) | per-crop (base view and every crop)
  --dump-embeds DIR       write what the decoder receives: DIR/inputs_embeds.npy float32 [L', hidden],
                          DIR/position_ids.npy int32 [L'] (LLaVA) or [3, L'] (Qwen M-RoPE), DIR/kept.json
  --backend B             auto | cpu | wasm | tensorflow (default auto)`;

/** The flag values {@link readLvlmRequest} reads. */
export interface LvlmFlagValues {
  readonly model?: string | undefined;
  readonly image?: string[] | undefined;
  readonly prompt?: string | undefined;
  readonly keep?: string | undefined;
  readonly ratio?: string | undefined;
  readonly energy?: string | undefined;
  readonly 'min-keep'?: string | undefined;
  readonly 'max-keep'?: string | undefined;
  readonly method?: string | undefined;
  readonly alpha?: string | undefined;
  readonly newlines?: string | undefined;
  readonly policy?: string | undefined;
  readonly 'dump-embeds'?: string | undefined;
  readonly backend?: string | undefined;
  readonly 'max-pixels'?: string | undefined;
}

/** A validated request: the decoded images and everything the pipeline gets, before any weight loads. */
export interface LvlmRequest {
  readonly model: string;
  readonly backend: BackendRequest;
  /** The request without sampling settings (the command adds its own). */
  readonly request: GenerateRequest;
  /** `--dump-embeds` folder, created if it was missing (removed again if the command fails). */
  readonly dumpEmbeds: { readonly dir: string; readonly created: boolean } | undefined;
}

/** The checkpoint folder must exist and hold a config.json (a regular file); the weights are checked when they load. */
function checkModelDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ResPruneError('E_FILE_NOT_FOUND', `--model ${dir}: no such checkpoint folder`, { details: { path: dir } });
  }
  checkRegularFile(join(dir, 'config.json'), { op: '--model' });
}

/** The three files of `--dump-embeds`, in a folder. */
const EMBED_FILES = ['inputs_embeds.npy', 'position_ids.npy', 'kept.json'] as const;

/**
 * Reads and checks the flags of one request (budget, method, newline rule, policy, output folder, model folder),
 * then reads and decodes every image through the bounded reader (regular files, --max-pixels), so a bad request
 * fails in well under a second whatever the checkpoint's size.
 */
export async function readLvlmRequest(values: LvlmFlagValues, io: CliIO, command: string): Promise<LvlmRequest> {
  if (values.model === undefined) throw usageError('--model DIR is required');
  if (values.image === undefined || values.image.length === 0) throw usageError('--image FILE is required');
  if (values.prompt === undefined) throw usageError('--prompt TEXT is required');
  if (values.prompt.trim() === '') throw new ResPruneError('E_EMPTY_INPUT', '--prompt is empty; give the question to ask about the image');
  const { budget } = budgetFromFlags(values, { required: false });
  if (budget !== undefined) checkBudget(budget);
  if (values.method !== undefined) methods.get(values.method); // E_UNKNOWN_METHOD, listing the registered names
  const alpha = parseNumber('alpha', values.alpha);
  const newlines = parseChoice<NewlineRule>('newlines', values.newlines, ['keep-rows', 'keep', 'drop', 'select'], 'keep-rows');
  const policy = values.policy === undefined ? undefined : parseChoice<BudgetPolicy>('policy', values.policy, ['global', 'per-view', 'per-crop'], 'global');
  const backend = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');
  const maxPixels = maxPixelsFromFlags(values);
  checkModelDir(values.model);
  const dumpDir = values['dump-embeds'];
  let dumpEmbeds: LvlmRequest['dumpEmbeds'];
  if (dumpDir !== undefined) {
    if (existsSync(dumpDir) && !statSync(dumpDir).isDirectory()) {
      throw new ResPruneError('E_WRITE', `--dump-embeds ${dumpDir}: not a folder; give a folder for ${EMBED_FILES.join(', ')}`, { details: { path: dumpDir } });
    }
    const created = !existsSync(dumpDir);
    if (created) {
      try {
        mkdirSync(dumpDir, { recursive: true });
      } catch (cause) {
        throw new ResPruneError('E_WRITE', `--dump-embeds ${dumpDir}: cannot create the folder (${(cause as { code?: string }).code ?? 'error'})`, { cause, details: { path: dumpDir } });
      }
    }
    dumpEmbeds = { dir: dumpDir, created };
    try {
      for (const f of EMBED_FILES) checkOutputPath(join(dumpDir, f), '--dump-embeds');
    } catch (e) {
      discardDumpFolder(dumpEmbeds);
      throw e;
    }
  }
  try {
    const { decodeImage } = await import('@resprune/image-features');
    const images: RgbImage[] = [];
    for (const path of values.image) {
      images.push(await decodeImage(path, { maxPixels, ...(io.signal === undefined ? {} : { signal: io.signal }) }));
      checkAborted(io, command);
    }
    const request: GenerateRequest = {
      ...(images.length === 1 ? { image: images[0]! } : { images }),
      prompt: values.prompt,
      newlines,
      ...(budget === undefined ? {} : { budget }),
      ...(policy === undefined ? {} : { policy }),
      ...(values.method === undefined ? {} : { method: values.method }),
      ...(alpha === undefined ? {} : { alpha }),
      ...(dumpEmbeds === undefined ? {} : { returnEmbeddings: true }),
    };
    return { model: values.model, backend, request, dumpEmbeds };
  } catch (e) {
    discardDumpFolder(dumpEmbeds);
    throw e;
  }
}

/** Removes a `--dump-embeds` folder this command created, when the command fails (it is empty then). */
export function discardDumpFolder(dump: LvlmRequest['dumpEmbeds']): void {
  if (dump?.created !== true) return;
  try {
    rmdirSync(dump.dir);
  } catch {
    // not empty or already gone: leave it
  }
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export { formatBytes };

/** Loads a checkpoint with a progress bar on stderr. */
export async function loadWithProgress(io: CliIO, model: string): Promise<LvlmPipeline> {
  const bar = progressBar(io, 'loading weights');
  return loadPipeline(model, {
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onProgress: (p) => bar.update(p.totalBytes === 0 ? 1 : p.loadedBytes / p.totalBytes, `(${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}) ${p.file.split('/').pop()}`, p.file),
  }).finally(() => bar.done());
}

/** What `kept.json` holds beside the two arrays. */
export interface KeptFile {
  readonly modelType: string;
  readonly positionScheme: string;
  readonly inputIds: readonly number[];
  readonly imageSpans: readonly { readonly start: number; readonly length: number }[];
  readonly kept: readonly number[];
  readonly keptRows: readonly number[];
}

/** The three files of `--dump-embeds`: inputs_embeds.npy, position_ids.npy and kept.json. */
export function embedFiles(dir: string, embeddings: LlmInputs, kept: KeptFile): OutputFile[] {
  const json = {
    ...kept,
    length: embeddings.length,
    hiddenSize: embeddings.hiddenSize,
    positionShape: embeddings.positionShape,
    nextPosition: embeddings.nextPosition,
  };
  return [
    { path: join(dir, EMBED_FILES[0]), data: writeNpy(embeddings.inputsEmbeds, [embeddings.length, embeddings.hiddenSize]) },
    { path: join(dir, EMBED_FILES[1]), data: writeNpy(embeddings.positionIds, [...embeddings.positionShape]) },
    { path: join(dir, EMBED_FILES[2]), data: new TextEncoder().encode(`${JSON.stringify(json)}\n`) },
  ];
}
