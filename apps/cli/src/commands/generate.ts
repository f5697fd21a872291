import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeNpy } from '@resprune/npy';
import type { BudgetPolicy } from '@resprune/backbones';
import { loadPipeline, type GenerateRequest, type GenerateResult, type LoadProgress, type NewlineRule, type PruneBudget } from '@resprune/pipeline';
import { useBackend, type BackendRequest } from '@resprune/tfjs-backends';
import { BUDGET_FLAGS, ENERGY_BOUND_FLAGS } from '../budget.js';
import { type CliIO, OUTPUT_FLAGS, parseChoice, parseNumber, reportError, usageError } from '../io.js';

const HELP = `Usage: resprune generate --model DIR --image FILE --prompt TEXT [budget] [options]

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
  --max-new-tokens N      tokens to generate (default 32; 0 = prefill only)
  --temperature T         sample with this temperature (default: greedy)
  --top-k K, --top-p P    sampling filters
  --seed S                sampling seed (default 0)
  --dump-logits FILE.npy  write the prefill logits of every position of the pruned sequence, float32 [L', vocab]
  --backend B             auto | cpu | wasm | tensorflow (default auto)
  --json                  print one JSON object on stdout
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

/** Draws the weight-loading progress on stderr: a redrawn bar on a terminal, a few plain lines otherwise. */
function progressBar(io: CliIO): { update(p: LoadProgress): void; done(): void } {
  const width = 30;
  let lastPct = -1;
  let lastFile = '';
  let drawn = false;
  return {
    update(p) {
      const frac = p.totalBytes === 0 ? 1 : p.loadedBytes / p.totalBytes;
      const pct = Math.floor(frac * 100);
      if (io.isTTY === true) {
        if (pct === lastPct) return;
        const fill = Math.round(frac * width);
        io.stderr(`\rloading weights [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(pct).padStart(3)}% ${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}`);
        drawn = true;
      } else if (p.file !== lastFile || pct === 100) {
        if (pct !== lastPct) io.stderr(`loading weights: ${pct}% (${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}) ${p.file.split('/').pop()}\n`);
        lastFile = p.file;
      }
      lastPct = pct;
    },
    done() {
      if (drawn) io.stderr('\n');
    },
  };
}

function readBudget(values: Record<string, string | boolean | undefined>): PruneBudget | undefined {
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const keep = parseNumber('keep', str('keep'), { integer: true });
  const ratio = parseNumber('ratio', str('ratio'));
  const energy = parseNumber('energy', str('energy'));
  const min = parseNumber('min-keep', str('min-keep'), { integer: true });
  const max = parseNumber('max-keep', str('max-keep'), { integer: true });
  const given = [keep, ratio, energy].filter((v) => v !== undefined).length;
  if (given > 1) throw usageError(`give at most one budget: --keep K, --ratio R or --energy E (got ${given})`);
  if ((min !== undefined || max !== undefined) && energy === undefined) throw usageError('--min-keep / --max-keep only apply to --energy');
  if (keep !== undefined) return { keep };
  if (ratio !== undefined) return { ratio };
  if (energy !== undefined) return { energy, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  return undefined;
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
        ...OUTPUT_FLAGS,
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    if (values.model === undefined) throw usageError('--model DIR is required');
    if (values.image === undefined) throw usageError('--image FILE is required');
    if (values.prompt === undefined) throw usageError('--prompt TEXT is required');
    const budget = readBudget(values);
    const alpha = parseNumber('alpha', values.alpha);
    const newlines = parseChoice<NewlineRule>('newlines', values.newlines, ['keep-rows', 'keep', 'drop', 'select'], 'keep-rows');
    const policy = values.policy === undefined ? undefined : parseChoice<BudgetPolicy>('policy', values.policy, ['global', 'per-view', 'per-crop'], 'global');
    const maxNewTokens = parseNumber('max-new-tokens', values['max-new-tokens'], { integer: true }) ?? 32;
    const temperature = parseNumber('temperature', values.temperature);
    const topK = parseNumber('top-k', values['top-k'], { integer: true });
    const topP = parseNumber('top-p', values['top-p']);
    const seed = parseNumber('seed', values.seed, { integer: true });
    const sampled = temperature !== undefined || topK !== undefined || topP !== undefined || seed !== undefined;
    const backendName = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');
    const dump = values['dump-logits'];
    if (dump !== undefined && !dump.endsWith('.npy')) throw usageError(`--dump-logits expects a .npy file name, got "${dump}"`);

    const backend = await useBackend(backendName);
    const bar = progressBar(io);
    const lvlm = await loadPipeline(values.model, { onProgress: (p) => bar.update(p) }).finally(() => bar.done());
    try {
      const request: GenerateRequest = {
        image: values.image,
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
      if (dump !== undefined) {
        const rows = result.report.sequenceLengthAfter;
        writeFileSync(dump, writeNpy(result.prefillLogits!, [rows, lvlm.config.text.vocabSize]));
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
        io.stdout(`${JSON.stringify(out)}\n`);
      } else {
        const eng = lvlm.selectionEngine;
        const engine = eng.kind === 'plain' ? 'plain tfjs kernels' : eng.kind === 'js' ? 'fast engine, plain JavaScript' : `fast engine, WebAssembly SIMD, ${eng.threads} thread${eng.threads === 1 ? '' : 's'}`;
        io.stdout(humanReport(result, backend, engine));
      }
      return 0;
    } finally {
      lvlm.dispose();
    }
  } catch (error) {
    return reportError(error, io, 'generate');
  }
}
