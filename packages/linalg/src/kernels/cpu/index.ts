import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { dotRowsInto, rowNormsSquared } from '../../gemm.js';
import { jsRowSource } from '../../greedy/sources.js';
import { CosineMaxRelevance, GramRows, ResidualGreedy } from '../../kernel-names.js';
import { readSmall, residualGreedyKernelFunc, writeFloat32 } from '../shared.js';

const values = (backend: KernelBackend, x: TensorInfo): Float32Array => backend.readSync(x.dataId) as Float32Array;

/** cpu ResidualGreedy: the greedy on the cpu backend's own array, Gram rows in float64 JavaScript. */
export const residualGreedyCpuConfig: KernelConfig = {
  kernelName: ResidualGreedy,
  backendName: 'cpu',
  kernelFunc: residualGreedyKernelFunc((backend, x) => jsRowSource(values(backend, x), x.shape[0]!, x.shape[1]!)),
};

/** cpu GramRows: float64 dot products in JavaScript, rounded once to float32. */
export const gramRowsCpuConfig: KernelConfig = {
  kernelName: GramRows,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const kb = backend as KernelBackend;
    const x = inputs['x']!;
    const [n, d] = x.shape as [number, number];
    const rows = Int32Array.from(readSmall(kb, inputs['indices']!));
    const out = new Float64Array(rows.length * n);
    const data = values(kb, x);
    dotRowsInto(data, rows, data, n, d, out);
    return writeFloat32(kb, out, [rows.length, n]);
  },
};

/** cpu CosineMaxRelevance: float64 cosines in JavaScript; a zero row has cosine 0 with everything. */
export const cosineMaxRelevanceCpuConfig: KernelConfig = {
  kernelName: CosineMaxRelevance,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const kb = backend as KernelBackend;
    const v = values(kb, inputs['visual']!);
    const t = values(kb, inputs['text']!);
    const [n, d] = inputs['visual']!.shape as [number, number];
    const m = inputs['text']!.shape[0]!;
    const dots = new Float64Array(m * n);
    dotRowsInto(t, Int32Array.from({ length: m }, (_, i) => i), v, n, d, dots);
    const vn = rowNormsSquared(v, n, d).norms;
    const tn = rowNormsSquared(t, m, d).norms;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let q = 0; q < m; q++) {
        const den = Math.sqrt(vn[i]!) * Math.sqrt(tn[q]!);
        const c = den > 0 ? dots[q * n + i]! / den : 0;
        if (c > best) best = c;
      }
      out[i] = Math.max(-1, Math.min(1, best));
    }
    return writeFloat32(kb, out, [n]);
  },
};

/** Every cpu kernel of this package. */
export const cpuKernelConfigs: readonly KernelConfig[] = [residualGreedyCpuConfig, gramRowsCpuConfig, cosineMaxRelevanceCpuConfig];
