import { parseArgs } from 'node:util';
import { useBackend, type BackendRequest } from '@resprune/tfjs-backends';
import { mergeSelections } from '@resprune/backbones';
import { selectWith, type SelectionResult, type SelectOptions } from '@resprune/selector';
import { finishBackboneSelection, prepareBackboneSelection } from './layout.js';
import { BUDGET_FLAGS, budgetFromFlags, ENERGY_BOUND_FLAGS } from '../budget.js';
import { useFastKernels } from '../fast-kernels.js';
import { METHOD_FLAGS, methodFromFlags, methodHelp } from '../method-flags.js';
import { readMatrixNpy } from '../matrix-file.js';
import { checkAborted, type CliIO, OUTPUT_FLAGS, parseBoundedInteger, parseChoice, parseNumber, reportError, usageError } from '../io.js';
import { MAX_NPY_BYTES_FLAG, MAX_NPY_BYTES_HELP, MAX_REPEAT, maxNpyBytesFromFlags } from '../limits.js';

const HELP = (): string => `Usage: resprune select --visual V.npy [--text T.npy] (--keep K | --ratio R | --energy E) [options]

Selects visual tokens with ResPrune (docs/guide/method.md#the-specification), or a peer method (--method), from .npy files
(float16/32/64, C order).
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
  --repeat R            run the selection R times (1 to ${MAX_REPEAT}); ms.select is the best run, ms.runs all of them
${MAX_NPY_BYTES_HELP}
  --json                print one JSON object on stdout
${methodHelp()}

Backbone-aware budgets (the kept tokens keep their place in the LLM input):
  --config config.json  a Hugging Face config.json (llava, llava_next, qwen2_vl, qwen2_5_vl)
  --preset NAME         instead of --config: a published model (llava-1.5-7b, llava-v1.6-mistral-7b, llava-v1.6-vicuna-7b,
                        qwen2.5-vl-3b, qwen2.5-vl-7b)
  --preprocessor P.json its preprocessor_config.json (Qwen pixel bounds)
  --image-size WxH      size of each image in the prompt (repeat for several images)
  --policy P            global | per-view | per-crop (default global: one quota per image)
  --newlines N          drop | keep | keep-rows | select (LLaVA-NeXT image_newline rule, default drop)
  --min-tokens K        minimum tokens kept per image (default 1)
  With --config, quotas are ceil(tokens x fraction) per unit and --json adds "positions" and "units".
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
        ...BUDGET_FLAGS,
        ...ENERGY_BOUND_FLAGS,
        alpha: { type: 'string' },
        normalize: { type: 'string' },
        'rank-tolerance': { type: 'string' },
        backend: { type: 'string' },
        repeat: { type: 'string' },
        config: { type: 'string' },
        preset: { type: 'string' },
        preprocessor: { type: 'string' },
        'image-size': { type: 'string', multiple: true },
        policy: { type: 'string' },
        newlines: { type: 'string' },
        'min-tokens': { type: 'string' },
        ...MAX_NPY_BYTES_FLAG,
        ...METHOD_FLAGS,
        ...OUTPUT_FLAGS,
      },
    });
    if (values.help) {
      io.stdout(HELP());
      return 0;
    }
    if (values.visual === undefined) throw usageError('--visual V.npy is required');
    const budget = budgetFromFlags(values).budget!;
    const choice = methodFromFlags(values);
    const alpha = parseNumber('alpha', values.alpha);
    const normalize = parseChoice('normalize', values.normalize, ['none', 'l2', 'center'] as const, 'none');
    const rankTolerance = parseNumber('rank-tolerance', values['rank-tolerance']);
    const repeat = parseBoundedInteger('repeat', values.repeat, 1, MAX_REPEAT) ?? 1;
    const maxNpyBytes = maxNpyBytesFromFlags(values);
    const backendName = parseChoice<BackendRequest>('backend', values.backend, ['auto', 'cpu', 'wasm', 'tensorflow'], 'auto');

    const visual = await readMatrixNpy(values.visual, '--visual', maxNpyBytes, io.signal);
    const text = values.text === undefined ? undefined : await readMatrixNpy(values.text, '--text', maxNpyBytes, io.signal);
    checkAborted(io, 'select');
    const backend = await useBackend(backendName);
    await useFastKernels();

    const backbone = prepareBackboneSelection(values, budget, visual.shape[0]);

    const common = {
      ...(text === undefined ? {} : { text }),
      ...(alpha === undefined ? {} : { alpha }),
      normalize,
      ...(rankTolerance === undefined ? {} : { rankTolerance }),
    };
    const options: SelectOptions = { ...budget, ...common };
    const [n, d] = visual.shape;
    const runs: number[] = [];
    let outcome: Outcome | undefined;
    for (let r = 0; r < repeat; r++) {
      checkAborted(io, 'select');
      const t0 = performance.now();
      if (backbone === undefined) {
        const result = selectWith(choice.method, visual, { ...options, ...choice.options });
        outcome = { kept: Array.from(result.kept), order: Array.from(result.order), scores: Array.from(result.scores), energy: Array.from(result.energy), method: result.method };
      } else {
        // One selection per unit of the backbone's plan (an image, a view or a crop), each on its own rows.
        const perUnit = backbone.plan.units.map((unit) => selectWith(choice.method, gatherRows(visual.data, d, unit.candidates), { ...common, ...choice.options, ...unit.budget } as SelectOptions));
        const merged = finishBackboneSelection(backbone, mergeSelections(backbone.plan, perUnit.map((u) => u.order)));
        outcome = {
          method: perUnit[0]?.method ?? 'resprune',
          kept: merged.kept,
          order: perUnit.flatMap((u, k) => Array.from(u.order, (i) => backbone.plan.units[k]!.candidates[i]!)),
          scores: perUnit.flatMap((u) => Array.from(u.scores)),
          energy: perUnit.flatMap((u) => Array.from(u.energy)),
          positions: merged.positions,
          units: unitSummaries(backbone.plan.units, perUnit),
        };
      }
      runs.push(performance.now() - t0);
    }
    const out = outcome!;
    const best = Math.min(...runs);
    if (values.json) {
      const json = {
        method: out.method,
        n,
        d,
        kept: out.kept,
        order: out.order,
        scores: out.scores,
        energy: out.energy,
        ms: { select: round(best), ...(repeat > 1 ? { runs: runs.map(round) } : {}) },
        backend,
        ...(backbone === undefined
          ? {}
          : { backbone: backbone.adapter.id, positions: out.positions, units: out.units }),
      };
      io.stdout(`${JSON.stringify(json)}\n`);
    } else {
      const captured = out.energy.length > 0 ? out.energy[out.energy.length - 1]! : 0;
      io.stdout(
        [
          `resprune: kept ${out.kept.length} of ${n} tokens (d=${d}) on ${backend}` +
            (backbone === undefined ? `, captured energy ${(captured * 100).toFixed(2)} %` : ` for ${backbone.adapter.id} in ${backbone.plan.units.length} unit(s)`) +
            `, select ${round(best)} ms`,
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

/** What one selection produced, with or without a backbone plan. */
interface Outcome {
  readonly method: string;
  readonly kept: number[];
  readonly order: number[];
  readonly scores: number[];
  readonly energy: number[];
  readonly positions?: number[] | number[][];
  readonly units?: UnitSummary[];
}

/** One unit of a backbone plan in the JSON output; `start`/`length` index into `order`, `scores` and `energy`. */
interface UnitSummary {
  readonly label: string;
  readonly tokens: number;
  readonly kept: number;
  readonly start: number;
  readonly length: number;
  readonly energy: number;
}

function unitSummaries(units: ReadonlyArray<{ readonly label: string; readonly candidates: readonly number[] }>, results: readonly SelectionResult[]): UnitSummary[] {
  let start = 0;
  return units.map((unit, k) => {
    const r = results[k]!;
    const summary = { label: unit.label, tokens: unit.candidates.length, kept: r.kept.length, start, length: r.order.length, energy: r.energy.length > 0 ? r.energy[r.energy.length - 1]! : 0 };
    start += r.order.length;
    return summary;
  });
}

/** Copies the given rows of a row-major [N, d] matrix into a new [rows.length, d] matrix. */
function gatherRows(data: Float32Array, d: number, rows: readonly number[]): { data: Float32Array; shape: readonly [number, number] } {
  const out = new Float32Array(rows.length * d);
  rows.forEach((row, k) => out.set(data.subarray(row * d, row * d + d), k * d));
  return { data: out, shape: [rows.length, d] };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function preview(values: ArrayLike<number>, max = 24): string {
  const items = Array.from(values).slice(0, max).join(' ');
  return values.length > max ? `${items} … (${values.length})` : items;
}
