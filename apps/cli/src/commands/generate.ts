import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ResPruneError } from '@resprune/errors';
import { writeNpy } from '@resprune/npy';
import { checkOutputPath, checkRegularFile, type OutputFile } from '@resprune/node-files';
import type { BudgetPolicy } from '@resprune/backbones';
import { methods } from '@resprune/selector';
import { checkBudget, loadPipeline, type GenerateRequest, type GenerateResult, type NewlineRule, type PruneBudget } from '@resprune/pipeline';
import { useBackend, type BackendRequest } from '@resprune/tfjs-backends';
import { BUDGET_FLAGS, budgetFromFlags, ENERGY_BOUND_FLAGS } from '../budget.js';
import { checkAborted, type CliIO, emitOutputs, OUTPUT_FLAGS, parseBoundedInteger, parseChoice, parseNumber, progressBar, reportError, usageError } from '../io.js';
import { MAX_NEW_TOKENS, MAX_PIXELS_FLAG, MAX_PIXELS_HELP, maxPixelsFromFlags } from '../limits.js';

const HELP = (): string => `Usage: resprune generate --model DIR --image FILE --prompt TEXT [budget] [options]

Runs a LLaVA-1.5 / LLaVA-NeXT checkpoint directory (Hugging Face layout: config.json, safetensors,
tokenizer.json, chat template, preprocessor_config.json) on one image, pruning the visual tokens
between the projector and the LLM. Without a budget every token is kept.
  --model DIR             checkpoint directory
  --image FILE            JPEG / PNG / WebP photo
  --prompt TEXT           user prompt (rendered through the checkpoint's chat template)
  --keep K | --ratio R | --energy E   visual-token budget (at most one)
  --min-keep K, --max-keep K          bounds for --energy
  --method M              selection method (default resprune; any registered in @resprune/selector)
  --alpha A               text-relevance exponent passed to the selector
  --newlines RULE         LLaVA-NeXT image_newline rule: keep-rows | keep | drop | select (default keep-rows)
  --policy P              how the budget is split inside the image: global (one budget over base view and
                          crops, default) | per-view (LLaVA-NeXT base view and crop grid get ceil(n*f) each) |
                          per-crop (base view and every crop get ceil(n*f) each)
  --max-new-tokens N      tokens to generate (default 32; 0 = prefill only; at most ${MAX_NEW_TOKENS})
  --temperature T         sample with this temperature (> 0; default: greedy)
  --top-k K, --top-p P    sampling filters (K >= 1, 0 < P <= 1)
  --seed S                sampling seed (default 0)
  --dump-logits FILE.npy  write the prefill logits of every position of the pruned sequence, float32 [L', vocab]
  --backend B             auto | cpu | wasm | tensorflow (default auto)
${MAX_PIXELS_HELP}
  --json                  print one JSON object on stdout
The whole request (flags, method, image, model folder, output path) is checked before the weights load.
`;

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function formatFlops(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TFLOP`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GFLOP`;
  return `${(n / 1e6).toFixed(2)} MFLOP`;
}

/** The budget of `generate`: at most one of --keep / --ratio / --energy (none keeps every token). */
function readBudget(values: Parameters<typeof budgetFromFlags>[0]): PruneBudget | undefined {
  const { budget, minKeep, maxKeep } = budgetFromFlags(values, { required: false });
  if (budget === undefined) return undefined;
  if ('energy' in budget) {
    return checkBudget({ energy: budget.energy, ...(minKeep === undefined ? {} : { min: minKeep }), ...(maxKeep === undefined ? {} : { max: maxKeep }) });
  }
  return checkBudget(budget);
}

/** A non-finite or out-of-range sampling number: E_INVALID_OPTION naming the flag. */
function checkRange(name: string, value: number | undefined, ok: (v: number) => boolean, range: string): void {
  if (value !== undefined && !ok(value)) throw usageError(`--${name} must be ${range}, got ${value}`);
}

/** The checkpoint folder must exist and hold a config.json (a regular file); the weights are checked when they load. */
function checkModelDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ResPruneError('E_FILE_NOT_FOUND', `--model ${dir}: no such checkpoint folder`, { details: { path: dir } });
  }
  checkRegularFile(join(dir, 'config.json'), { op: '--model' });
}

function humanReport(r: GenerateResult, backend: string, selectionEngine: string): string {
  const rep = r.report;
  const t = rep.timings;
  const f = rep.flops;
  const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
  return [
    r.text,
    '',
    `backend            ${backend}`,
    `method             ${rep.method}${rep.budget === null ? '' : ` ${JSON.stringify(rep.budget)}`}${rep.policy === null ? '' : ` (${rep.policy}: ${rep.units.map((u) => `${u.label} ${u.kept}/${u.candidates}`).join(', ')})`}`,
    `visual tokens      ${rep.visualTokensBefore} -> ${rep.visualTokensAfter} (${pct(rep.visualTokensAfter, rep.visualTokensBefore)})`,
    `sequence length    ${rep.sequenceLengthBefore} -> ${rep.sequenceLengthAfter}`,
    `prefill FLOPs      ${formatFlops(f.total)} (unpruned ${formatFlops(rep.flopsUnpruned.total)}, ${pct(f.total, rep.flopsUnpruned.total)})`,
    `  vision           ${formatFlops(f.vision)}`,
    `  projector        ${formatFlops(f.projector)}`,
    `  selection        ${formatFlops(f.selection)}`,
    `  LLM attention    ${formatFlops(f.llmAttention)} (unpruned ${formatFlops(rep.flopsUnpruned.llmAttention)})`,
    `  LLM MLP          ${formatFlops(f.llmMlp)} (unpruned ${formatFlops(rep.flopsUnpruned.llmMlp)})`,
    `  lm_head          ${formatFlops(f.lmHead)}`,
    `KV cache           ${formatBytes(rep.kvCacheBytes)} (unpruned ${formatBytes(rep.kvCacheBytesUnpruned)})`,
    `selection time     ${t.selectionMs.toFixed(1)} ms (${selectionEngine})`,
    `vision time        ${t.visionMs.toFixed(1)} ms`,
    `prefill time       ${t.prefillMs.toFixed(1)} ms`,
    `decode time        ${t.decodeMsPerToken.toFixed(1)} ms/token (${r.generatedIds.length} tokens, stop: ${r.stopReason})`,
    '',
  ].join('\n');
}

/**
 * `resprune generate`: see HELP. Loads the checkpoint (progress on stderr), runs one request and prints the
 * answer and the report, or one JSON object with `--json`. Exit 0 on success, 2 on bad input.
 */
export async function generateCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        image: { type: 'string' },
        prompt: { type: 'string' },
        ...BUDGET_FLAGS,
        ...ENERGY_BOUND_FLAGS,
        method: { type: 'string' },
        alpha: { type: 'string' },
        newlines: { type: 'string' },
        policy: { type: 'string' },
        'max-new-tokens': { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        seed: { type: 'string' },
        'dump-logits': { type: 'string' },
        backend: { type: 'string' },
        ...MAX_PIXELS_FLAG,
        ...OUTPUT_FLAGS,
      },
    });
    if (values.help) {
      io.stdout(HELP());
      return 0;
    }
    // 1. The whole request is validated first, so a bad one fails in well under a second, whatever the
    //    checkpoint's size: flags, budget, method, sampling, output path, image, model folder.
    if (values.model === undefined) throw usageError('--model DIR is required');
    if (values.image === undefined) throw usageError('--image FILE is required');
    if (values.prompt === undefined) throw usageError('--prompt TEXT is required');
    if (values.prompt.trim() === '') throw new ResPruneError('E_EMPTY_INPUT', '--prompt is empty; give the question to ask about the image');
    const budget = readBudget(values);
    if (values.method !== undefined) methods.get(values.method); // E_UNKNOWN_METHOD, listing the registered names
    const alpha = parseNumber('alpha', values.alpha);
    const newlines = parseChoice<NewlineRule>('newlines', values.newlines, ['keep-rows', 'keep', 'drop', 'select'], 'keep-rows');
    const policy = values.policy === undefined ? undefined : parseChoice<BudgetPolicy>('policy', values.policy, ['global', 'per-view', 'per-crop'], 'global');
    const maxNewTokens = parseBoundedInteger('max-new-tokens', values['max-new-tokens'], 0, MAX_NEW_TOKENS) ?? 32;
    const temperature = parseNumber('temperature', values.temperature);
    checkRange('temperature', temperature, (v) => v > 0, 'a number > 0');
    const topK = parseNumber('top-k', values['top-k'], { integer: true });
    checkRange('top-k', topK, (v) => v >= 1, 'an integer >= 1');
    const topP = parseNumber('top-p', values['top-p']);
    checkRange('top-p', topP, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    const seed = parseNumber('seed', values.seed, { integer: true });
    const sampled = temperature !== undefined || topK !== undefined || topP !== undefined || seed !== undefined;
    const backendName = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');
    const maxPixels = maxPixelsFromFlags(values);
    const dump = values['dump-logits'];
    if (dump !== undefined && !dump.endsWith('.npy')) throw usageError(`--dump-logits expects a .npy file name, got "${dump}"`);
    if (dump !== undefined) checkOutputPath(dump, '--dump-logits');
    checkModelDir(values.model);
    // The image is read once, through the bounded reader (regular file, size limit), its size checked
    // from the header (--max-pixels) and decoded here, so the pipeline never touches the path.
    const { decodeImage } = await import('@resprune/image-features');
    const image = await decodeImage(values.image, { maxPixels, ...(io.signal === undefined ? {} : { signal: io.signal }) });
    checkAborted(io, 'generate');

    // 2. The slow part: load, then run.
    const backend = await useBackend(backendName);
    const bar = progressBar(io, 'loading weights');
    const lvlm = await loadPipeline(values.model, {
      onProgress: (p) => bar.update(p.totalBytes === 0 ? 1 : p.loadedBytes / p.totalBytes, `(${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}) ${p.file.split('/').pop()}`, p.file),
    }).finally(() => bar.done());
    try {
      checkAborted(io, 'generate');
      const request: GenerateRequest = {
        image,
        prompt: values.prompt,
        maxNewTokens,
        newlines,
        ...(budget === undefined ? {} : { budget }),
        ...(policy === undefined ? {} : { policy }),
        ...(values.method === undefined ? {} : { method: values.method }),
        ...(alpha === undefined ? {} : { alpha }),
        ...(sampled
          ? {
              sampling: {
                ...(temperature === undefined ? {} : { temperature }),
                ...(topK === undefined ? {} : { topK }),
                ...(topP === undefined ? {} : { topP }),
                ...(seed === undefined ? {} : { seed }),
              },
            }
          : {}),
        ...(dump === undefined ? {} : { returnPrefillLogits: true }),
      };
      const result = await lvlm.generate(request);
      checkAborted(io, 'generate');
      const files: OutputFile[] = [];
      if (dump !== undefined) {
        const rows = result.report.sequenceLengthAfter;
        files.push({ path: dump, data: writeNpy(result.prefillLogits!, [rows, lvlm.config.text.vocabSize]) });
      }
      if (values.json) {
        const out = {
          model: values.model,
          modelType: lvlm.config.modelType,
          backend,
          selectionEngine: lvlm.selectionEngine,
          inputIds: result.inputIds,
          imageSpan: result.imageSpan,
          kept: Array.from(result.kept),
          generatedIds: result.generatedIds,
          text: result.text,
          stopReason: result.stopReason,
          report: result.report,
          ...(dump === undefined ? {} : { logitsFile: dump, logitsShape: [result.report.sequenceLengthAfter, lvlm.config.text.vocabSize] }),
        };
        await emitOutputs(io, 'generate', files, `${JSON.stringify(out)}\n`);
      } else {
        const eng = lvlm.selectionEngine;
        const engine = eng.kind === 'plain' ? 'plain tfjs kernels' : eng.kind === 'js' ? 'fast engine, plain JavaScript' : `fast engine, WebAssembly SIMD, ${eng.threads} thread${eng.threads === 1 ? '' : 's'}`;
        await emitOutputs(io, 'generate', files, humanReport(result, backend, engine));
      }
      return 0;
    } finally {
      lvlm.dispose();
    }
  } catch (error) {
    return reportError(error, io, 'generate');
  }
}
