/**
 * Picks the best TensorFlow.js backend installed in this process, in the project's order:
 * `tfjs-node-gpu`, then `tfjs-node` (both register the backend named `tensorflow`), then `wasm`,
 * then `cpu`. Nothing is imported statically, so packages that are not installed cost nothing.
 *
 * @example
 * ```ts
 * import { useBestBackend } from '@resprune/tfjs-backends';
 * const chosen = await useBestBackend();   // 'wasm' on a machine without tfjs-node
 * ```
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';

/** A backend this package can load: the npm package behind it decides the name. */
export type BackendChoice = 'node-gpu' | 'node' | 'wasm' | 'cpu';

/** What a user may ask for: a concrete choice, `tensorflow` (node-gpu, else node), or `auto`. */
export type BackendRequest = BackendChoice | 'tensorflow' | 'auto';

/** The npm package and the tfjs backend name of each choice. */
export const BACKEND_PACKAGES: Readonly<Record<BackendChoice, { readonly pkg: string; readonly tfName: string }>> = {
  'node-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  node: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
};

/** The preferred order: GPU, native, WebAssembly, plain JavaScript. */
export const DEFAULT_ORDER: readonly BackendChoice[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** One failed attempt, as listed by {@link NoBackendAvailableError}. */
export interface BackendAttempt {
  readonly choice: BackendChoice;
  readonly pkg: string;
  readonly reason: string;
}

/** Options of {@link useBestBackend}. */
export interface UseBackendOptions {
  /** Loads a package by name; defaults to dynamic `import()`. Tests and bundlers may inject their own. */
  readonly importer?: (pkg: string) => Promise<unknown>;
}

/**
 * No backend in the requested order could be loaded and initialised. `attempts` lists each one with
 * its reason; the message names the packages to install.
 */
export class NoBackendAvailableError extends ResPruneError {
  override readonly name = 'NoBackendAvailableError';
  /** Every backend tried, in order, and why it failed. */
  readonly attempts: readonly BackendAttempt[];

  /** @param attempts - every backend tried and why it failed */
  constructor(attempts: readonly BackendAttempt[]) {
    const lines = attempts.map((a) => `  - ${a.choice} (${a.pkg}): ${a.reason}`).join('\n');
    super(
      'E_NO_BACKEND',
      `No TensorFlow.js backend could be initialised. Tried:\n${lines}\n` +
        `Install one of: ${attempts.map((a) => a.pkg).join(', ')}.`,
      { details: { attempts } },
    );
    this.attempts = attempts;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? 'error';
}

/**
 * Loads and activates the first backend of `order` that works, and returns which one it was.
 * `tfjs-node-gpu` and `tfjs-node` both register `tensorflow`, so once one of them is loaded the
 * other is not tried.
 *
 * @param order - backends to try, best first (default {@link DEFAULT_ORDER})
 * @param options - an injectable package loader
 * @returns the backend that is now active
 * @throws {@link NoBackendAvailableError} (code `E_NO_BACKEND`) when none works; the error lists every attempt
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKEND` when `order` is empty or names an unknown backend
 * @example
 * ```ts
 * const chosen = await useBestBackend(['wasm', 'cpu']);
 * console.log(chosen, tf.getBackend());
 * ```
 */
export async function useBestBackend(
  order: readonly BackendChoice[] = DEFAULT_ORDER,
  options: UseBackendOptions = {},
): Promise<BackendChoice> {
  if (order.length === 0) throw new ResPruneError('E_BACKEND', 'useBestBackend: the backend order is empty.');
  const importer = options.importer ?? ((pkg: string) => import(/* @vite-ignore */ pkg));
  const attempts: BackendAttempt[] = [];
  for (const choice of order) {
    const plan = BACKEND_PACKAGES[choice];
    if (plan === undefined) {
      throw new ResPruneError(
        'E_BACKEND',
        `useBestBackend: unknown backend "${String(choice)}"; expected one of ${DEFAULT_ORDER.join(', ')}.`,
      );
    }
    try {
      await importer(plan.pkg);
      if (tf.findBackendFactory(plan.tfName) === null) {
        attempts.push({ choice, pkg: plan.pkg, reason: `importing it registered no '${plan.tfName}' backend` });
        continue;
      }
      if (await tf.setBackend(plan.tfName)) {
        await tf.ready();
        return choice;
      }
      attempts.push({ choice, pkg: plan.pkg, reason: 'tf.setBackend returned false (initialisation failed)' });
    } catch (error) {
      attempts.push({ choice, pkg: plan.pkg, reason: firstLine(error) });
    }
  }
  throw new NoBackendAvailableError(attempts);
}

/**
 * Activates the backend a user asked for by name, as the CLI's `--backend` flag does.
 * `auto` tries {@link DEFAULT_ORDER}; `tensorflow` tries `node-gpu` then `node`.
 *
 * @param request - `auto`, `tensorflow`, or a {@link BackendChoice}
 * @param options - an injectable package loader
 * @returns the backend that is now active
 * @throws {@link NoBackendAvailableError} (code `E_NO_BACKEND`) when the requested backend cannot be loaded
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKEND` for a name that is not a backend
 * @example
 * ```ts
 * await useBackend('cpu');
 * ```
 */
export async function useBackend(request: BackendRequest, options: UseBackendOptions = {}): Promise<BackendChoice> {
  switch (request) {
    case 'auto':
      return useBestBackend(DEFAULT_ORDER, options);
    case 'tensorflow':
      return useBestBackend(['node-gpu', 'node'], options);
    case 'node-gpu':
    case 'node':
    case 'wasm':
    case 'cpu':
      return useBestBackend([request], options);
    default:
      throw new ResPruneError(
        'E_BACKEND',
        `Unknown backend "${String(request)}"; expected one of auto, tensorflow, ${DEFAULT_ORDER.join(', ')}.`,
      );
  }
}
