import { parseArgs } from 'node:util';
import { useBackend } from '@resprune/tfjs-backends';
import { checkAborted, type CliIO, emitOutputs, OUTPUT_FLAGS, reportError, usageError } from '../io.js';
import { MAX_PIXELS_HELP } from '../limits.js';
import { discardDumpFolder, embedFiles, loadWithProgress, LVLM_FLAGS, LVLM_HELP, readLvlmRequest } from '../lvlm.js';

const HELP = (): string => `Usage: resprune embed --model DIR --image FILE --prompt TEXT [budget] --dump-embeds DIR [options]

Runs a checkpoint (LLaVA-1.5, LLaVA-NeXT, Qwen2-VL, Qwen2.5-VL) up to the LLM's input and stops before the
prefill: it preprocesses the images, runs the vision encoder and projector, prunes the visual tokens and writes
what the decoder would receive, for another engine (HF transformers, vLLM prompt embeddings) to run. Positions
follow the family's rule: re-indexed 0..L'-1 for LLaVA; for Qwen every kept token keeps its original (t, h, w)
M-RoPE ids and text after an image keeps its original ids.
${LVLM_HELP}
${MAX_PIXELS_HELP}
  --json                  print one JSON object on stdout (ids, kept tokens, positions, report)
Give --dump-embeds DIR, --json, or both.
`;

/**
 * `resprune embed`: see HELP. Exit 0 on success, 2 on bad input.
 */
export async function embedCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...LVLM_FLAGS, ...OUTPUT_FLAGS } });
    if (values.help) {
      io.stdout(HELP());
      return 0;
    }
    if (values['dump-embeds'] === undefined && values.json !== true) throw usageError('give --dump-embeds DIR, --json, or both');
    const req = await readLvlmRequest(values, io, 'embed');
    try {
      const backend = await useBackend(req.backend);
      const lvlm = await loadWithProgress(io, req.model);
      try {
        checkAborted(io, 'embed');
        const e = await lvlm.embed({ ...req.request, ...(io.signal === undefined ? {} : { signal: io.signal }) });
        checkAborted(io, 'embed');
        const kept = {
          modelType: lvlm.config.modelType,
          positionScheme: lvlm.backbone.positionScheme,
          inputIds: e.inputIds,
          imageSpans: e.imageSpans,
          kept: Array.from(e.kept),
          keptRows: Array.from(e.keptRows),
        };
        const files = req.dumpEmbeds === undefined ? [] : embedFiles(req.dumpEmbeds.dir, e.embeddings, kept);
        const summary = values.json
          ? `${JSON.stringify({
              model: req.model,
              backend,
              selectionEngine: lvlm.selectionEngine,
              ...kept,
              positionIds: Array.from(e.embeddings.positionIds),
              positionShape: e.embeddings.positionShape,
              nextPosition: e.embeddings.nextPosition,
              hiddenSize: e.embeddings.hiddenSize,
              report: e.report,
              ...(req.dumpEmbeds === undefined ? {} : { embedsDir: req.dumpEmbeds.dir }),
            })}\n`
          : `${e.report.visualTokensBefore} visual tokens -> ${e.report.visualTokensAfter} kept; sequence ${e.report.sequenceLengthBefore} -> ${e.report.sequenceLengthAfter} rows` +
            ` (positions ${e.embeddings.positionShape.length === 2 ? 'M-RoPE [3, L\']' : "[L']"}, next ${e.embeddings.nextPosition})` +
            `${req.dumpEmbeds === undefined ? '' : `; wrote ${req.dumpEmbeds.dir}/inputs_embeds.npy, position_ids.npy, kept.json`}\n`;
        await emitOutputs(io, 'embed', files, summary);
        return 0;
      } finally {
        lvlm.dispose();
      }
    } catch (e) {
      discardDumpFolder(req.dumpEmbeds);
      throw e;
    }
  } catch (error) {
    return reportError(error, io, 'embed');
  }
}
