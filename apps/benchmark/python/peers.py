"""Peer selectors for the ResPrune.js benchmark, timed in one process on the caller's inputs.

Usage: python3 peers.py DIR N D M K REPEAT METHODS
  DIR holds visual.f32 ([N, D] float32, row-major) and text.f32 ([M, D]); METHODS is a comma list of
  numpy-greedy, cdpruner-torch, divprune-torch, cdpruner-numpy, divprune-numpy.
Prints one JSON object: {method: {"ms": best, "runs": [...], "order": [...]}, "env": {...}}.

Written for this project from the published descriptions (no code copied):
- numpy-greedy: the ResPrune specification's greedy (its "gaps" are the relative margins between the
  best and second-best score at each pick, to tell float32 near-ties from real disagreements) (alpha = 1, normalize 'none', relevance from the
  max-over-text cosine), incremental form, one Gram row (a matrix-vector product) per pick.
- cdpruner-*: CDPruner's conditional DPP: l2-normalised tokens, cosine similarity S, kernel
  L = diag(r) S diag(r) with r the min-max normalised max-over-text cosine (this project's relevance;
  CDPruner's own code uses a mean cosine, which costs the same), then the fast greedy MAP inference
  (incremental Cholesky) over the full N x N kernel; kept indices sorted.
- divprune-*: DivPrune's max-min diversity on D = 1 - cosine: first the token whose nearest
  neighbour is farthest, then repeatedly the token farthest from the chosen set.
"""
import json
import os
import sys
import time

import numpy as np


def relevance(v, t, xp):
    """Min-max normalised max-over-text cosine (spec 2.1); xp is numpy or torch."""
    if xp is np:
        vn = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-30)
        tn = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-30)
        c = (vn @ tn.T).max(axis=1)
    else:
        vn = v / v.norm(dim=1, keepdim=True).clamp_min(1e-30)
        tn = t / t.norm(dim=1, keepdim=True).clamp_min(1e-30)
        c = (vn @ tn.T).max(dim=1).values
    return (c - c.min() + 1e-6) / (c.max() - c.min() + 1e-6)


def numpy_greedy(v, t, k):
    """ResPrune greedy, incremental Cholesky with one Gram row per pick (float64 state)."""
    n = v.shape[0]
    w = relevance(v, t, np).astype(np.float64)
    e0 = np.einsum('ij,ij->i', v, v, dtype=np.float64)
    e = e0.copy()
    c = np.zeros((k, n))
    picked = np.zeros(n, dtype=bool)
    order = []
    tol = 1e-6 * float((w * e0).max())
    gaps = []
    for s in range(k):
        score = np.where(picked, -1.0, w * e)
        j = int(np.argmax(score))
        if n > s + 1:
            top2 = np.partition(score, n - 2)[n - 2:]
            gaps.append(float((top2.max() - top2.min()) / top2.max()) if top2.max() > 0 else 0.0)
        if score[j] <= tol:
            rest = np.where(picked, -1.0, w * e0)
            order += [int(i) for i in np.argsort(-rest, kind='stable')[: k - s]]
            break
        g = (v @ v[j]).astype(np.float64)
        row = (g - c[:s, j] @ c[:s]) / np.sqrt(e[j])
        c[s] = row
        e = np.maximum(e - row * row, 0.0)
        e[j] = 0.0
        picked[j] = True
        order.append(j)
    numpy_greedy.gaps = gaps
    return order


def cdpruner(v, t, k, xp):
    if xp is np:
        vn = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-30)
        r = relevance(v, t, np)
        kernel = r[:, None] * (vn @ vn.T) * r[None, :]
        n = kernel.shape[0]
        cis = np.zeros((k, n), dtype=kernel.dtype)
        di2s = np.diagonal(kernel).copy()
        sel = []
        for i in range(k):
            j = int(np.argmax(di2s))
            sel.append(j)
            eis = (kernel[j] - cis[:i, j] @ cis[:i]) / np.sqrt(di2s[j])
            cis[i] = eis
            di2s -= eis * eis
            di2s[j] = -np.inf
        return sorted(sel)
    import torch
    vn = v / v.norm(dim=1, keepdim=True).clamp_min(1e-30)
    r = relevance(v, t, torch)
    kernel = r[:, None] * (vn @ vn.T) * r[None, :]
    n = kernel.shape[0]
    cis = torch.zeros((k, n), dtype=kernel.dtype)
    di2s = torch.diagonal(kernel).clone()
    sel = []
    for i in range(k):
        j = int(torch.argmax(di2s))
        sel.append(j)
        eis = (kernel[j] - cis[:i, j] @ cis[:i]) / torch.sqrt(di2s[j])
        cis[i] = eis
        di2s -= eis * eis
        di2s[j] = -float('inf')
    return sorted(sel)


def divprune(v, k, xp):
    if xp is np:
        vn = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-30)
        dist = 1.0 - vn @ vn.T
        np.fill_diagonal(dist, np.inf)
        first = int(np.argmax(dist.min(axis=1)))
        np.fill_diagonal(dist, 0.0)
        sel = [first]
        mind = dist[first].copy()
        mind[first] = -np.inf
        for _ in range(1, k):
            j = int(np.argmax(mind))
            sel.append(j)
            mind = np.minimum(mind, dist[j])
            mind[sel] = -np.inf
        return sorted(sel)
    import torch
    vn = v / v.norm(dim=1, keepdim=True).clamp_min(1e-30)
    dist = 1.0 - vn @ vn.T
    dist.fill_diagonal_(float('inf'))
    first = int(torch.argmax(dist.min(dim=1).values))
    dist.fill_diagonal_(0.0)
    sel = [first]
    mind = dist[first].clone()
    mind[first] = -float('inf')
    for _ in range(1, k):
        j = int(torch.argmax(mind))
        sel.append(j)
        mind = torch.minimum(mind, dist[j])
        mind[sel] = -float('inf')
    return sorted(sel)


def main():
    folder, n, d, m, k, repeat, methods = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7].split(',')
    v_np = np.fromfile(os.path.join(folder, 'visual.f32'), dtype='<f4').reshape(n, d)
    t_np = np.fromfile(os.path.join(folder, 'text.f32'), dtype='<f4').reshape(m, d)
    out = {'env': {'python': sys.version.split()[0], 'numpy': np.__version__}}
    torch = None
    if any(x.endswith('-torch') for x in methods):
        import torch  # noqa: F811
        torch.set_num_threads(int(os.environ.get('PEER_THREADS', '2')))
        out['env']['torch'] = torch.__version__
        out['env']['torch_threads'] = torch.get_num_threads()
    for method in methods:
        if method == 'numpy-greedy':
            fn = lambda: numpy_greedy(v_np, t_np, k)
        elif method == 'cdpruner-numpy':
            fn = lambda: cdpruner(v_np, t_np, k, np)
        elif method == 'divprune-numpy':
            fn = lambda: divprune(v_np, k, np)
        elif method == 'cdpruner-torch':
            fn = lambda: cdpruner(torch.from_numpy(v_np), torch.from_numpy(t_np), k, torch)
        elif method == 'divprune-torch':
            fn = lambda: divprune(torch.from_numpy(v_np), k, torch)
        else:
            raise SystemExit(f'unknown method {method}')
        runs = []
        order = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            order = fn()
            runs.append((time.perf_counter() - t0) * 1000.0)
        out[method] = {'ms': min(runs), 'runs': runs, 'order': [int(i) for i in order]}
        if method == 'numpy-greedy':
            out[method]['gaps'] = numpy_greedy.gaps
    print(json.dumps(out))


if __name__ == '__main__':
    main()
