/**
 * `resprune generate --engine transformers`: the same request through transformers.js (`@huggingface/transformers`,
 * ONNX Runtime) with ResPrune's pruning (`@resprune/transformers`), loading the model folder offline.
 */
import { basename, dirname, resolve } from 'node:path';
import { ResPruneError } from '@resprune/errors';
import type { OutputFile } from '@resprune/node-files';
import type { RgbImage } from '@resprune/pipeline';
import { useBackend } from '@resprune/tfjs-backends';
import { useFastKernels } from './fast-kernels.js';
import { checkAborted, type CliIO, emitOutputs } from './io.js';
import { embedFiles, type LvlmRequest } from './lvlm.js';

/** Runs one request through transformers.js with pruning and writes every output (all or none). */
export async function runTransformers(req: LvlmRequest, maxNewTokens: number, dump: string | undefined, json: boolean, io: CliIO): Promise<number> {
  if (dump !== undefined) throw new ResPruneError('E_INVALID_OPTION', '--dump-logits is not available with --engine transformers (its decoder returns the last row only); use --dump-embeds');
  if (maxNewTokens < 1) throw new ResPruneError('E_INVALID_OPTION', '--engine transformers generates at least one token: give --max-new-tokens 1 or more');
  let tjs: typeof import('@huggingface/transformers');
  let pruning: typeof import('@resprune/transformers');
  try {
    tjs = await import('@huggingface/transformers');
    pruning = await import('@resprune/transformers');
  } catch (cause) {
    throw new ResPruneError('E_BACKEND', '--engine transformers needs @huggingface/transformers 4.3.2 and @resprune/transformers installed beside @resprune/cli', { cause });
  }
  // The selection runs on tfjs (the fast WebAssembly engine where it starts), the model on ONNX Runtime.
  const backend = await useBackend(req.backend);
  await useFastKernels();
  const folder = resolve(req.model);
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = `${dirname(folder)}/`;
  const id = basename(folder);
  io.stderr(`loading ${id} with transformers.js (onnx, fp32)\n`);
  const model = (await tjs.AutoModelForImageTextToText.from_pretrained(id, { dtype: 'fp32', device: 'cpu' })) as unknown as Parameters<typeof pruning.generateWithPruning>[0];
  try {
    const processor = (await tjs.AutoProcessor.from_pretrained(id)) as unknown as Parameters<typeof pruning.generateWithPruning>[1];
    checkAborted(io, 'generate');
    const r = req.request;
    const images = (r.images ?? [r.image!]).map((im) => {
      const rgb = im as RgbImage;
      return new tjs.RawImage(new Uint8ClampedArray(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), rgb.width, rgb.height, 3);
    });
    const result = await pruning.generateWithPruning(model, processor, {
      images,
      question: r.prompt,
      maxNewTokens,
      ...(r.budget === undefined ? {} : { budget: r.budget }),
      ...(r.method === undefined ? {} : { method: r.method }),
      ...(r.alpha === undefined ? {} : { alpha: r.alpha }),
      ...(r.policy === undefined ? {} : { policy: r.policy }),
    });
    checkAborted(io, 'generate');
    const files: OutputFile[] = [];
    if (req.dumpEmbeds !== undefined) {
      const [L, hidden] = result.inputsEmbedsShape;
      const mrope = Array.isArray(result.positionIds[0]);
      const positionIds = Int32Array.from((mrope ? (result.positionIds as number[][]).flat() : (result.positionIds as number[])));
      const positionShape: readonly [number] | readonly [3, number] = mrope ? [3, L] : [L];
      const next = mrope ? Math.max(...positionIds) + 1 : L;
      files.push(
        ...embedFiles(req.dumpEmbeds.dir, { length: L, hiddenSize: hidden, inputsEmbeds: result.inputsEmbeds, positionIds, positionShape, nextPosition: next }, {
          modelType: result.modelType,
          positionScheme: mrope ? 'mrope' : 'sequential',
          inputIds: result.inputIds,
          imageSpans: result.imageSpans,
          kept: result.kept,
          keptRows: result.keep,
        }),
      );
    }
    const out = {
      engine: 'transformers',
      model: req.model,
      backend,
      modelType: result.modelType,
      inputIds: result.inputIds,
      imageSpan: result.imageSpans[0],
      imageSpans: result.imageSpans,
      kept: result.kept,
      generatedIds: result.generatedIds,
      text: result.text,
      stopReason: result.stopReason,
      report: result.report,
      timings: result.timings,
      ...(req.dumpEmbeds === undefined ? {} : { embedsDir: req.dumpEmbeds.dir }),
    };
    const text = json
      ? `${JSON.stringify(out)}\n`
      : `${result.text}\n\nengine             transformers.js (onnxruntime-node)\nvisual tokens      ${result.report.visualTokensBefore} -> ${result.report.visualTokensAfter}\n` +
        `sequence length    ${result.report.sequenceLengthBefore} -> ${result.report.sequenceLengthAfter}\n` +
        `prefill time       ${result.timings.prefillMs.toFixed(1)} ms\nselection time     ${result.timings.selectionMs.toFixed(1)} ms\n` +
        `decode time        ${result.timings.decodeMsPerToken.toFixed(1)} ms/token (${result.generatedIds.length} tokens, stop: ${result.stopReason})\n`;
    await emitOutputs(io, 'generate', files, text);
    return 0;
  } finally {
    await (model as unknown as { dispose(): Promise<unknown> }).dispose();
  }
}
