import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend, type BackendRequest } from '@resprune/tfjs-backends';
import { selectWith, type SelectOptions } from '@resprune/selector';
import { asciiGrid, decodeImage, renderOverlay } from '@resprune/image-features';
import { loadMobileNetV2 } from '@resprune/mobilenet-features';
import { BUDGET_FLAGS, budgetFromFlags } from '../budget.js';
import { useFastKernels } from '../fast-kernels.js';
import { METHOD_FLAGS, methodFromFlags, methodHelp } from '../method-flags.js';
import { readMatrixNpy } from '../matrix-file.js';
import { checkAborted, type CliIO, emitOutputs, OUTPUT_FLAGS, parseChoice, parseNumber, progressBar, reportError, usageError } from '../io.js';
import { MAX_NPY_BYTES_FLAG, MAX_NPY_BYTES_HELP, MAX_PIXELS_FLAG, MAX_PIXELS_HELP, maxNpyBytesFromFlags, maxPixelsFromFlags } from '../limits.js';
import { checkOutputPath, type OutputFile } from '@resprune/node-files';

const HELP = (): string => `Usage: resprune image PHOTO (--keep K | --ratio R | --energy E) [options]

Extracts real visual tokens from a photo (MobileNetV2 from nsfwjs at 768x768 px: a 24x24 grid of
576 tokens), prunes them with ResPrune and shows what was kept.
  --keep K | --ratio R | --energy E   the budget (exactly one)
  --text T.npy          text vectors [M, d] in the feature space (optional)
  --alpha A             relevance exponent (default 1)
  --normalize MODE      none | l2 | center (default none)
  --overlay OUT.png     write the photo with kept tokens highlighted
  --tokens OUT.npy      also write the extracted tokens [576, d] as float32 .npy
                        (files are written all or none: a failed run leaves neither)
${MAX_PIXELS_HELP}
${MAX_NPY_BYTES_HELP}
  --backend B           auto | cpu | wasm | tensorflow (default auto)
  --json                print one JSON object on stdout
${methodHelp()}
`;

/** `resprune image`: the main job of the README. Exit 0 on success, 2 on bad input. */
export async function imageCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...BUDGET_FLAGS,
        text: { type: 'string' },
        alpha: { type: 'string' },
        normalize: { type: 'string' },
        overlay: { type: 'string' },
        tokens: { type: 'string' },
        backend: { type: 'string' },
        ...MAX_PIXELS_FLAG,
        ...MAX_NPY_BYTES_FLAG,
        ...METHOD_FLAGS,
        ...OUTPUT_FLAGS,
      },
    });
    if (values.help) {
      io.stdout(HELP());
      return 0;
    }
    if (positionals.length !== 1) throw usageError(`expected one photo path, got ${positionals.length}`);
    const photo = positionals[0]!;
    const budget = budgetFromFlags(values).budget!;
    const choice = methodFromFlags(values);
    const alpha = parseNumber('alpha', values.alpha);
    const normalize = parseChoice('normalize', values.normalize, ['none', 'l2', 'center'] as const, 'none');
    const backendName = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');
    const maxPixels = maxPixelsFromFlags(values);
    const maxNpyBytes = maxNpyBytesFromFlags(values);
    // Output destinations are checked before any work, so a typo fails in a second, not after extraction.
    if (values.overlay !== undefined) checkOutputPath(values.overlay, '--overlay');
    if (values.tokens !== undefined) checkOutputPath(values.tokens, '--tokens');

    const signal = io.signal === undefined ? {} : { signal: io.signal };
    const image = await decodeImage(photo, { maxPixels, ...signal });
    const text = values.text === undefined ? undefined : await readMatrixNpy(values.text, '--text', maxNpyBytes, io.signal);
    checkAborted(io, 'image');
    const backend = await useBackend(backendName);
    await useFastKernels();
    const bar = progressBar(io, 'loading MobileNetV2');
    const extractor = await loadMobileNetV2({ onProgress: (p) => bar.update(p.totalBytes === 0 ? 0 : p.loadedBytes / p.totalBytes, p.message) }).finally(() => bar.done());
    checkAborted(io, 'image');
    const t0 = performance.now();
    const features = await extractor.extract(image, { size: 768 }).finally(() => extractor.dispose());
    const extractMs = performance.now() - t0;
    checkAborted(io, 'image');

    const visual = { data: features.tokens, shape: [features.rows * features.cols, features.d] as const };
    const options: SelectOptions = {
      ...budget,
      ...(text === undefined ? {} : { text }),
      ...(alpha === undefined ? {} : { alpha }),
      normalize,
    };
    const t1 = performance.now();
    // The token grid is known here, so the uniform method strides over it unless --grid says otherwise.
    const methodOptions = choice.method === 'uniform' && choice.options['grid'] === undefined
      ? { ...choice.options, grid: { rows: features.rows, cols: features.cols } }
      : choice.options;
    const result = selectWith(choice.method, visual, { ...options, ...methodOptions });
    const selectMs = performance.now() - t1;
    const grid = { rows: features.rows, cols: features.cols };

    const files: OutputFile[] = [];
    if (values.overlay !== undefined) files.push({ path: values.overlay, data: await renderOverlay(image, result.kept, grid) });
    if (values.tokens !== undefined) {
      const { writeNpy } = await import('@resprune/npy');
      files.push({ path: values.tokens, data: writeNpy(features.tokens, [visual.shape[0], visual.shape[1]]) });
    }
    const n = visual.shape[0];
    const captured = result.energy.length > 0 ? result.energy[result.energy.length - 1]! : 0;
    let out: string;
    if (values.json) {
      out = (
        `${JSON.stringify({
          method: result.method,
          image: { path: photo, width: image.width, height: image.height },
          grid,
          n,
          d: features.d,
          kept: Array.from(result.kept),
          order: Array.from(result.order),
          scores: Array.from(result.scores),
          energy: Array.from(result.energy),
          ms: { extract: round(extractMs), select: round(selectMs) },
          backend,
          ...(values.overlay === undefined ? {} : { overlay: values.overlay }),
        })}\n`
      );
    } else {
      out = (
        [
          `${basename(photo)}: ${image.width}x${image.height} px -> MobileNetV2 ${grid.rows}x${grid.cols} = ${n} visual tokens, d=${features.d} (${round(extractMs)} ms on ${backend})`,
          `${result.method} kept ${result.kept.length} of ${n} tokens (${((100 * result.kept.length) / n).toFixed(1)} %), ` +
            `captured energy ${(captured * 100).toFixed(1)} %, selection ${round(selectMs)} ms`,
          '',
          asciiGrid(result.kept, grid),
          '',
          values.overlay === undefined ? 'add --overlay OUT.png to see the kept tokens on the photo' : `overlay written to ${values.overlay}`,
          '',
        ].join('\n')
      );
    }
    await emitOutputs(io, 'image', files, out);
    return 0;
  } catch (error) {
    return reportError(error, io, 'image');
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
