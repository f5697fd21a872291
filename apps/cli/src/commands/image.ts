import { writeFileSync } from 'node:fs';
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
import { type CliIO, OUTPUT_FLAGS, parseChoice, parseNumber, progressBar, reportError, usageError } from '../io.js';

const HELP = (): string => `Usage: resprune image PHOTO (--keep K | --ratio R | --energy E) [options]

Extracts real visual tokens from a photo (MobileNetV2 from nsfwjs at 768x768 px: a 24x24 grid of
576 tokens), prunes them with ResPrune and shows what was kept.
  --keep K | --ratio R | --energy E   the budget (exactly one)
  --text T.npy          text vectors [M, d] in the feature space (optional)
  --alpha A             relevance exponent (default 1)
  --normalize MODE      none | l2 | center (default none)
  --overlay OUT.png     write the photo with kept tokens highlighted
  --tokens OUT.npy      also write the extracted tokens [576, d] as float32 .npy
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
    const budget = budgetFromFlags(values);
    const choice = methodFromFlags(values);
    const alpha = parseNumber('alpha', values.alpha);
    const normalize = parseChoice('normalize', values.normalize, ['none', 'l2', 'center'] as const, 'none');
    const backendName = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');

    const image = await decodeImage(photo);
    const text = values.text === undefined ? undefined : await readMatrixNpy(values.text, '--text');
    const backend = await useBackend(backendName);
    await useFastKernels();
    const bar = progressBar(io, 'loading MobileNetV2');
    const extractor = await loadMobileNetV2({ onProgress: (p) => bar(p.totalBytes === 0 ? 0 : p.loadedBytes / p.totalBytes, p.message) });
    const t0 = performance.now();
    const features = await extractor.extract(image, { size: 768 });
    const extractMs = performance.now() - t0;
    extractor.dispose();

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

    if (values.overlay !== undefined) writeFileSync(values.overlay, await renderOverlay(image, result.kept, grid));
    if (values.tokens !== undefined) {
      const { writeNpy } = await import('@resprune/npy');
      writeFileSync(values.tokens, writeNpy(features.tokens, [visual.shape[0], visual.shape[1]]));
    }
    const n = visual.shape[0];
    const captured = result.energy.length > 0 ? result.energy[result.energy.length - 1]! : 0;
    if (values.json) {
      io.stdout(
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
        })}\n`,
      );
    } else {
      io.stdout(
        [
          `${basename(photo)}: ${image.width}x${image.height} px -> MobileNetV2 ${grid.rows}x${grid.cols} = ${n} visual tokens, d=${features.d} (${round(extractMs)} ms on ${backend})`,
          `${result.method} kept ${result.kept.length} of ${n} tokens (${((100 * result.kept.length) / n).toFixed(1)} %), ` +
            `captured energy ${(captured * 100).toFixed(1)} %, selection ${round(selectMs)} ms`,
          '',
          asciiGrid(result.kept, grid),
          '',
          values.overlay === undefined ? 'add --overlay OUT.png to see the kept tokens on the photo' : `overlay written to ${values.overlay}`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    return reportError(error, io, 'image');
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
