import { parseArgs } from 'node:util';
import { writeNpy } from '@resprune/npy';
import { checkOutputPath, type OutputFile } from '@resprune/node-files';
import type { GenerateRequest, GenerateResult } from '@resprune/pipeline';
import { useBackend } from '@resprune/tfjs-backends';
import { checkAborted, type CliIO, emitOutputs, OUTPUT_FLAGS, parseBoundedInteger, parseChoice, parseNumber, reportError, usageError } from '../io.js';
import { MAX_NEW_TOKENS, MAX_PIXELS_HELP } from '../limits.js';
import { discardDumpFolder, embedFiles, formatBytes, loadWithProgress, LVLM_FLAGS, LVLM_HELP, readLvlmRequest, type LvlmRequest } from '../lvlm.js';

const HELP = (): string => `Usage: resprune generate --model DIR --image FILE --prompt TEXT [budget] [options]

Runs a LLaVA-1.5 / LLaVA-NeXT / Qwen2-VL / Qwen2.5-VL checkpoint directory (Hugging Face layout: config.json,
safetensors, tokenizer.json, chat template, preprocessor_config.json) on one image or several, pruning the
visual tokens between the projector (or patch merger) and the LLM. Without a budget every token is kept.
${LVLM_HELP}
  --max-new-tokens N      tokens to generate (default 32; 0 = prefill only; at most ${MAX_NEW_TOKENS})
  --temperature T         sample with this temperature (> 0; default: greedy)
  --top-k K, --top-p P    sampling filters (K >= 1, 0 < P <= 1)
  --seed S                sampling seed (default 0)
  --dump-logits FILE.npy  write the prefill logits of every position of the pruned sequence, float32 [L', vocab]
  --engine E              tfjs (default: the reference pipeline) | transformers (transformers.js on ONNX Runtime,
                          pruned by @resprune/transformers: Qwen2-VL, Qwen2.5-VL, LLaVA-1.5; greedy decoding)
${MAX_PIXELS_HELP}
  --json                  print one JSON object on stdout
The whole request (flags, method, images, model folder, output paths) is checked before the weights load.
`;

function formatFlops(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TFLOP`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GFLOP`;
  return `${(n / 1e6).toFixed(2)} MFLOP`;
}

/** A non-finite or out-of-range sampling number: E_INVALID_OPTION naming the flag. */
function checkRange(name: string, value: number | undefined, ok: (v: number) => boolean, range: string): void {
  if (value !== undefined && !ok(value)) throw usageError(`--${name} must be ${range}, got ${value}`);
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
        ...LVLM_FLAGS,
        'max-new-tokens': { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        seed: { type: 'string' },
        'dump-logits': { type: 'string' },
        engine: { type: 'string' },
        ...OUTPUT_FLAGS,
      },
    });
    if (values.help) {
      io.stdout(HELP());
      return 0;
    }
    // 1. The whole request is validated first, so a bad one fails in well under a second, whatever the
    //    checkpoint's size: flags, budget, method, sampling, output paths, images, model folder.
    const maxNewTokens = parseBoundedInteger('max-new-tokens', values['max-new-tokens'], 0, MAX_NEW_TOKENS) ?? 32;
    const temperature = parseNumber('temperature', values.temperature);
    checkRange('temperature', temperature, (v) => v > 0, 'a number > 0');
    const topK = parseNumber('top-k', values['top-k'], { integer: true });
    checkRange('top-k', topK, (v) => v >= 1, 'an integer >= 1');
    const topP = parseNumber('top-p', values['top-p']);
    checkRange('top-p', topP, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    const seed = parseNumber('seed', values.seed, { integer: true });
    const sampled = temperature !== undefined || topK !== undefined || topP !== undefined || seed !== undefined;
    const dump = values['dump-logits'];
    if (dump !== undefined && !dump.endsWith('.npy')) throw usageError(`--dump-logits expects a .npy file name, got "${dump}"`);
    if (dump !== undefined) checkOutputPath(dump, '--dump-logits');
    const engine = parseChoice<'tfjs' | 'transformers'>('engine', values.engine, ['tfjs', 'transformers'], 'tfjs');
    if (engine === 'transformers' && sampled) throw usageError('--engine transformers decodes greedily; drop --temperature/--top-k/--top-p/--seed');
    const lvlm: LvlmRequest = await readLvlmRequest(values, io, 'generate');
    try {
      if (engine === 'transformers') {
        const { runTransformers } = await import('../transformers-engine.js');
        return await runTransformers(lvlm, maxNewTokens, dump, values.json === true, io);
      }
      return await run(lvlm, {
        maxNewTokens,
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
      }, dump, values.json === true, io);
    } catch (e) {
      discardDumpFolder(lvlm.dumpEmbeds);
      throw e;
    }
  } catch (error) {
    return reportError(error, io, 'generate');
  }
}

/** Loads the checkpoint, runs the request and writes every output (all or none). */
async function run(
  req: LvlmRequest,
  generation: Pick<GenerateRequest, 'maxNewTokens' | 'sampling' | 'returnPrefillLogits'>,
  dump: string | undefined,
  json: boolean,
  io: CliIO,
): Promise<number> {
  // The slow part: load, then run.
  const backend = await useBackend(req.backend);
  const lvlm = await loadWithProgress(io, req.model);
  try {
    checkAborted(io, 'generate');
    const result = await lvlm.generate({ ...req.request, ...generation, ...(io.signal === undefined ? {} : { signal: io.signal }) });
    checkAborted(io, 'generate');
    const files: OutputFile[] = [];
    if (dump !== undefined) {
      const rows = result.report.sequenceLengthAfter;
      files.push({ path: dump, data: writeNpy(result.prefillLogits!, [rows, lvlm.config.text.vocabSize]) });
    }
    if (req.dumpEmbeds !== undefined) {
      files.push(
        ...embedFiles(req.dumpEmbeds.dir, result.embeddings!, {
          modelType: lvlm.config.modelType,
          positionScheme: lvlm.backbone.positionScheme,
          inputIds: result.inputIds,
          imageSpans: result.imageSpans,
          kept: Array.from(result.kept),
          keptRows: Array.from(result.keptRows),
        }),
      );
    }
    if (json) {
      const out = {
        model: req.model,
        modelType: lvlm.config.modelType,
        backend,
        selectionEngine: lvlm.selectionEngine,
        inputIds: result.inputIds,
        imageSpan: result.imageSpan,
        imageSpans: result.imageSpans,
        kept: Array.from(result.kept),
        generatedIds: result.generatedIds,
        text: result.text,
        stopReason: result.stopReason,
        report: result.report,
        ...(dump === undefined ? {} : { logitsFile: dump, logitsShape: [result.report.sequenceLengthAfter, lvlm.config.text.vocabSize] }),
        ...(req.dumpEmbeds === undefined ? {} : { embedsDir: req.dumpEmbeds.dir, positionShape: result.embeddings!.positionShape }),
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
}
