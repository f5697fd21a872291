import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One peer method's timing in the Python process. */
export interface PeerTiming {
  readonly ms: number;
  readonly runs: number[];
  readonly order: number[];
  /** numpy-greedy only: relative margin between the best and second-best score at each pick. */
  readonly gaps?: number[];
}

/** What a Python run produced, keyed by method (`numpy-greedy`, `cdpruner-torch`, …). */
export interface PeerResult {
  readonly python: string;
  readonly env: Record<string, string | number>;
  readonly methods: Record<string, PeerTiming>;
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'peers.py');

/** Environment for the Python side: 2 BLAS/OpenMP threads unless the caller set them. */
function pythonEnv(threads: number): NodeJS.ProcessEnv {
  const t = String(threads);
  return {
    ...process.env,
    OMP_NUM_THREADS: process.env['OMP_NUM_THREADS'] ?? t,
    OPENBLAS_NUM_THREADS: process.env['OPENBLAS_NUM_THREADS'] ?? t,
    MKL_NUM_THREADS: process.env['MKL_NUM_THREADS'] ?? t,
    PEER_THREADS: t,
  };
}

/** Interpreters to try, in order: $RESPRUNE_PYTHON, Debian's /usr/bin/python3, python3 on PATH. */
function candidates(explicit: string | undefined): string[] {
  const list = [explicit, process.env['RESPRUNE_PYTHON'], '/usr/bin/python3', 'python3'].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return [...new Set(list)];
}

/** Which of numpy and torch a Python interpreter can import (undefined when it does not run). */
function probe(python: string): { numpy: boolean; torch: boolean } | undefined {
  const r = spawnSync(python, ['-c', 'import importlib.util as u; print(int(u.find_spec("numpy") is not None), int(u.find_spec("torch") is not None))'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) return undefined;
  const [np, torch] = r.stdout.trim().split(' ');
  return { numpy: np === '1', torch: torch === '1' };
}

/** Interpreters found for the NumPy greedy and for the torch peers. */
export interface PythonSetup {
  readonly numpy: string | undefined;
  readonly torch: string | undefined;
  readonly notes: string[];
}

/** Finds Python interpreters with numpy (and torch). */
export function findPython(explicit?: string): PythonSetup {
  let numpy: string | undefined;
  let torch: string | undefined;
  const notes: string[] = [];
  for (const p of candidates(explicit)) {
    const caps = probe(p);
    if (caps === undefined) continue;
    if (caps.numpy && numpy === undefined) numpy = p;
    if (caps.numpy && caps.torch && torch === undefined) torch = p;
  }
  if (numpy === undefined) notes.push('Python with numpy not found: the NumPy greedy and the peer references are skipped.');
  else if (torch === undefined) notes.push('PyTorch not found: CDPruner and DivPrune run as NumPy ports instead (their published code uses torch).');
  return { numpy, torch, notes };
}

/**
 * Runs peer methods on the given inputs in one Python process, each `repeat` times, and returns
 * their best times and picks. The inputs go through a temporary folder as raw float32 files.
 */
export function runPeers(python: string, visual: Float32Array, text: Float32Array, n: number, d: number, k: number, repeat: number, methods: string[], threads: number): PeerResult {
  const dir = mkdtempSync(join(tmpdir(), 'resprune-bench-'));
  try {
    writeFileSync(join(dir, 'visual.f32'), new Uint8Array(visual.buffer, visual.byteOffset, visual.byteLength));
    writeFileSync(join(dir, 'text.f32'), new Uint8Array(text.buffer, text.byteOffset, text.byteLength));
    const m = text.length / d;
    const r = spawnSync(python, [SCRIPT, dir, String(n), String(d), String(m), String(k), String(repeat), methods.join(',')], {
      encoding: 'utf8',
      env: pythonEnv(threads),
      maxBuffer: 64 * 2 ** 20,
      timeout: 1_800_000,
    });
    if (r.status !== 0) throw new Error(`peers.py failed (${python}): ${r.stderr || r.error?.message}`);
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
    const env = (parsed['env'] ?? {}) as Record<string, string | number>;
    const out: Record<string, PeerTiming> = {};
    for (const method of methods) out[method] = parsed[method] as PeerTiming;
    return { python, env, methods: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
