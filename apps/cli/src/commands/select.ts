import { parseArgs } from 'node:util';
import { useBackend, type BackendRequest } from '@resprune/tfjs-backends';
import { select, type SelectOptions } from '@resprune/selector';
import { budgetFromFlags } from '../budget.js';
import { readMatrixNpy } from '../matrix-file.js';
import { type CliIO, parseChoice, parseNumber, reportError, usageError } from '../io.js';

const HELP = `Usage: resprune select --visual V.npy [--text T.npy] (--keep K | --ratio R | --energy E) [options]

Selects visual tokens with ResPrune (method.md §2) from .npy files (float16/32/64, C order).
  --visual V.npy        visual tokens [N, d]
  --text T.npy          text vectors [M, d] (optional; without it, no text conditioning)
  --keep K              keep K tokens (K >= N keeps all)
  --ratio R             keep round(R*N) tokens, at least 1 (0 < R <= 1)
  --energy E            keep the fewest tokens capturing fraction E of the energy (0 < E <= 1)
  --min-keep K, --max-keep K   bounds for --energy
  --alpha A             relevance exponent (default 1; 0 switches text conditioning off)
  --normalize MODE      none | l2 | center (default none)
  --rank-tolerance T    rank-exhaustion threshold (default 1e-6)
  --backend B           auto | cpu | wasm | tensorflow (default auto)
  --repeat R            run the selection R times; ms.select is the best run, ms.runs all of them
  --json                print one JSON object on stdout
`;

/** `resprune select`: see HELP. Exit 0 on success, 2 on bad input. */
export async function selectCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        visual: { type: 'string' },
        text: { type: 'string' },
        keep: { type: 'string' },
        ratio: { type: 'string' },
        energy: { type: 'string' },
        'min-keep': { type: 'string' },
        'max-keep': { type: 'string' },
        alpha: { type: 'string' },
        normalize: { type: 'string' },
        'rank-tolerance': { type: 'string' },
        backend: { type: 'string' },
        repeat: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    if (values.visual === undefined) throw usageError('--visual V.npy is required');
    const budget = budgetFromFlags(values);
    const alpha = parseNumber('alpha', values.alpha);
    const normalize = parseChoice('normalize', values.normalize, ['none', 'l2', 'center'] as const, 'none');
    const rankTolerance = parseNumber('rank-tolerance', values['rank-tolerance']);
    const minKeep = parseNumber('min-keep', values['min-keep'], { integer: true });
    const maxKeep = parseNumber('max-keep', values['max-keep'], { integer: true });
    const repeat = parseNumber('repeat', values.repeat, { integer: true }) ?? 1;
    if (repeat < 1) throw usageError(`--repeat must be at least 1, got ${repeat}`);
    const backendName = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');

    const visual = await readMatrixNpy(values.visual, '--visual');
    const text = values.text === undefined ? undefined : await readMatrixNpy(values.text, '--text');
    const backend = await useBackend(backendName);

    const options: SelectOptions = {
      ...budget,
      ...(text === undefined ? {} : { text }),
      ...(alpha === undefined ? {} : { alpha }),
      normalize,
      ...(rankTolerance === undefined ? {} : { rankTolerance }),
      ...(minKeep === undefined ? {} : { minKeep }),
      ...(maxKeep === undefined ? {} : { maxKeep }),
    };
    const runs: number[] = [];
    let result = undefined as ReturnType<typeof select> | undefined;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      result = select(visual, options);
      runs.push(performance.now() - t0);
    }
    const out = result!;
    const best = Math.min(...runs);
    const [n, d] = visual.shape;
    if (values.json) {
      const json = {
        method: out.method,
        n,
        d,
        kept: Array.from(out.kept),
        order: Array.from(out.order),
        scores: Array.from(out.scores),
        energy: Array.from(out.energy),
        ms: { select: round(best), ...(repeat > 1 ? { runs: runs.map(round) } : {}) },
        backend,
      };
      io.stdout(`${JSON.stringify(json)}\n`);
    } else {
      const captured = out.energy.length > 0 ? out.energy[out.energy.length - 1]! : 0;
      io.stdout(
        [
          `resprune: kept ${out.kept.length} of ${n} tokens (d=${d}) on ${backend}, captured energy ${(captured * 100).toFixed(2)} %, select ${round(best)} ms`,
          `kept:  ${preview(out.kept)}`,
          `order: ${preview(out.order)}`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    return reportError(error, io, 'select');
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function preview(values: ArrayLike<number>, max = 24): string {
  const items = Array.from(values).slice(0, max).join(' ');
  return values.length > max ? `${items} … (${values.length})` : items;
}
