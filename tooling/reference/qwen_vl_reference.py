#!/usr/bin/env python3
"""Independent PyTorch reference of Qwen2_5_VLForConditionalGeneration / Qwen2VLForConditionalGeneration.

Written for ResPrune.js from the semantics of Hugging Face transformers' modeling_qwen2_5_vl.py and
modeling_qwen2_vl.py (vision tower with 2-D rotary positions, Qwen2.5-VL window attention and RMSNorm/SwiGLU blocks,
Qwen2-VL LayerNorm/QuickGELU blocks, patch merger, get_rope_index for text + image prompts, the Qwen2 decoder with
M-RoPE). It does not import transformers; it reads our safetensors checkpoints with its own header parser.

Pruning semantics (as documented for ResPrune): given kept indices of the merged image tokens (over all images, in
prompt order), the prefill input is every text row plus the kept image rows, each with its ORIGINAL (t, h, w)
position ids from get_rope_index on the full prompt; text after an image keeps its original ids too.

Usage: python3 qwen_vl_reference.py CHECKPOINTS_DIR CASES_JSON OUT_DIR
Writes, per case: NAME.vision.npy [tokens, hidden] (merged image tokens, unpruned), NAME.positions.npy [3, L'] (int64),
NAME.hidden.npy [L', hidden] (final-norm hidden states), NAME.logits.npy [L', columns] (logits at cases.json
`columns`), and meta.json (torch version, checkpoint SHA-256).
"""
import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_grad_enabled(False)

# ---------------------------------------------------------------------------------------------------------------
# Checkpoint reading


def _read_header(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
    return header, 8 + n


def _to_tensor(raw, dtype, shape):
    if dtype == 'F32':
        arr = np.frombuffer(raw, dtype='<f4').astype(np.float32)
    elif dtype == 'F16':
        arr = np.frombuffer(raw, dtype='<f2').astype(np.float32)
    elif dtype == 'BF16':
        u = np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16
        arr = u.view(np.float32)
    else:
        raise ValueError(f'unsupported dtype {dtype}')
    return torch.from_numpy(arr.copy()).reshape(shape)


def canonical(name):
    """Recent transformers names (model.visual.*, model.language_model.*) -> published hub names."""
    if name.startswith('model.visual.'):
        return name[len('model.'):]
    if name.startswith('model.language_model.'):
        return 'model.' + name[len('model.language_model.'):]
    return name


def load_state(ckpt):
    index = os.path.join(ckpt, 'model.safetensors.index.json')
    if os.path.exists(index):
        files = sorted(set(json.load(open(index))['weight_map'].values()))
    else:
        files = ['model.safetensors']
    state = {}
    for fn in files:
        path = os.path.join(ckpt, fn)
        header, base = _read_header(path)
        with open(path, 'rb') as f:
            blob = f.read()
        for name, info in header.items():
            if name == '__metadata__':
                continue
            a, b = info['data_offsets']
            state[canonical(name)] = _to_tensor(blob[base + a:base + b], info['dtype'], info['shape'])
    return state


def sha256_checkpoint(ckpt):
    h = hashlib.sha256()
    names = sorted(n for n in os.listdir(ckpt) if n in ('config.json', 'model.safetensors.index.json') or n.endswith('.safetensors'))
    for n in names:
        h.update((n + '\n').encode())
        with open(os.path.join(ckpt, n), 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Config


class Cfg:
    def __init__(self, raw):
        self.model_type = raw['model_type']
        text = {k: v for k, v in raw.items() if k not in ('vision_config', 'text_config')}
        text.update(raw.get('text_config') or {})
        rope = text.get('rope_scaling') or text.get('rope_parameters') or {}
        self.mrope_section = list(rope['mrope_section'])
        self.rope_theta = float(text.get('rope_theta', rope.get('rope_theta', 1000000.0)))
        self.hidden = text['hidden_size']
        self.layers = text['num_hidden_layers']
        self.heads = text['num_attention_heads']
        self.kv_heads = text['num_key_value_heads']
        self.head_dim = self.hidden // self.heads
        self.eps = text.get('rms_norm_eps', 1e-6)
        self.tied = bool(text.get('tie_word_embeddings', raw.get('tie_word_embeddings', False)))
        v = raw['vision_config']
        self.v25 = self.model_type == 'qwen2_5_vl'
        self.v_dim = v['hidden_size'] if self.v25 else v['embed_dim']
        self.v_heads = v['num_heads']
        self.v_depth = v['depth']
        self.patch = v.get('patch_size', 14)
        self.tpatch = v.get('temporal_patch_size', 2)
        self.merge = v.get('spatial_merge_size', 2)
        self.in_ch = v.get('in_channels', v.get('in_chans', 3))
        self.v_act = v.get('hidden_act', 'silu' if self.v25 else 'quick_gelu')
        self.window = v.get('window_size', 112) if self.v25 else None
        self.fullatt = list(v.get('fullatt_block_indexes', [7, 15, 23, 31])) if self.v25 else []
        self.image_token_id = raw.get('image_token_id', 151655)
        self.vision_start_token_id = raw.get('vision_start_token_id', 151652)


def act_fn(name, x):
    if name == 'silu':
        return F.silu(x)
    if name == 'quick_gelu':
        return x * torch.sigmoid(1.702 * x)
    if name == 'gelu':
        return F.gelu(x)
    raise ValueError(name)


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


# ---------------------------------------------------------------------------------------------------------------
# Vision tower


def vision_positions(cfg, grids):
    """(row, col) of every patch in the processor's order (merge units row-major, patches row-major inside)."""
    m = cfg.merge
    out = []
    for t, h, w in grids:
        ys = torch.arange(h).view(h // m, m, 1, 1).expand(h // m, m, w // m, m).permute(0, 2, 1, 3).reshape(-1)
        xs = torch.arange(w).view(1, 1, w // m, m).expand(h // m, m, w // m, m).permute(0, 2, 1, 3).reshape(-1)
        out.append(torch.stack([ys, xs], dim=-1).repeat(t, 1))
    return torch.cat(out, dim=0)


def window_order(cfg, grids):
    """Window permutation of merge units and window boundaries in patches (empty windows removed)."""
    ws = cfg.window // cfg.merge // cfg.patch
    unit = cfg.merge * cfg.merge
    perm, bounds, base = [], [0], 0
    for t, h, w in grids:
        gh, gw = h // cfg.merge, w // cfg.merge
        idx = torch.arange(t * gh * gw).view(t, gh, gw)
        ph, pw = ws - gh % ws, ws - gw % ws
        padded = F.pad(idx, (0, pw, 0, ph), value=-1)
        nh, nw = (gh + ph) // ws, (gw + pw) // ws
        padded = padded.view(t, nh, ws, nw, ws).permute(0, 1, 3, 2, 4).reshape(t, nh * nw, ws * ws)
        for f in range(t):
            for win in padded[f]:
                valid = win[win >= 0]
                if valid.numel() == 0:
                    continue
                perm.append(valid + base)
                bounds.append(bounds[-1] + valid.numel() * unit)
        base += t * gh * gw
    return torch.cat(perm), bounds


def frame_bounds(grids):
    b = [0]
    for t, h, w in grids:
        for _ in range(t):
            b.append(b[-1] + h * w)
    return b


def encode_vision(cfg, s, pixels, grids):
    dim, heads = cfg.v_dim, cfg.v_heads
    hd = dim // heads
    unit = cfg.merge * cfg.merge
    x = pixels.view(-1, cfg.in_ch, cfg.tpatch, cfg.patch, cfg.patch)
    h = F.conv3d(x, s['visual.patch_embed.proj.weight'], stride=(cfg.tpatch, cfg.patch, cfg.patch)).view(-1, dim)
    n = h.shape[0]
    # 2-D rotary: frequencies of width hd/2, first half by row, second half by column.
    rdim = hd // 2
    inv = 1.0 / (10000.0 ** (torch.arange(0, rdim, 2, dtype=torch.float) / rdim))
    pos = vision_positions(cfg, grids)
    table = torch.outer(torch.arange(int(max(max(g[1], g[2]) for g in grids)), dtype=torch.float), inv)
    rot = torch.cat([table[pos[:, 0]], table[pos[:, 1]]], dim=-1)
    full = frame_bounds(grids)
    if cfg.window is not None:
        perm, wins = window_order(cfg, grids)
        h = h.view(n // unit, unit, dim)[perm].reshape(n, dim)
        rot = rot.view(n // unit, unit, -1)[perm].reshape(n, -1)
    else:
        perm, wins = None, full
    emb = torch.cat([rot, rot], dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]

    def norm(x, name):
        if cfg.v25:
            return rms_norm(x, s[name + '.weight'], 1e-6)
        return F.layer_norm(x, (dim,), s[name + '.weight'], s[name + '.bias'], 1e-6)

    def lin(x, name):
        return F.linear(x, s[name + '.weight'], s[name + '.bias'])

    for i in range(cfg.v_depth):
        p = f'visual.blocks.{i}.'
        bounds = full if (cfg.window is None or i in cfg.fullatt) else wins
        y = norm(h, p + 'norm1')
        q, k, v = lin(y, p + 'attn.qkv').view(n, 3, heads, hd).permute(1, 0, 2, 3).unbind(0)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        outs = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            qs, ks, vs = (z[a:b].transpose(0, 1) for z in (q, k, v))
            att = torch.softmax((qs @ ks.transpose(1, 2)) / math.sqrt(hd), dim=-1)
            outs.append((att @ vs).transpose(0, 1).reshape(b - a, dim))
        h = h + lin(torch.cat(outs, dim=0), p + 'attn.proj')
        y = norm(h, p + 'norm2')
        if cfg.v25:
            mlp = lin(act_fn(cfg.v_act, lin(y, p + 'mlp.gate_proj')) * lin(y, p + 'mlp.up_proj'), p + 'mlp.down_proj')
        else:
            mlp = lin(act_fn(cfg.v_act, lin(y, p + 'mlp.fc1')), p + 'mlp.fc2')
        h = h + mlp
    merged = norm(h, 'visual.merger.ln_q').view(-1, unit * dim)
    out = lin(F.gelu(lin(merged, 'visual.merger.mlp.0')), 'visual.merger.mlp.2')
    if perm is not None:
        out = out[torch.argsort(perm)]
    return out


# ---------------------------------------------------------------------------------------------------------------
# Positions (get_rope_index for text + images)


def rope_index(cfg, ids, grids):
    ids = list(ids)
    cols = []
    start, image, nxt = 0, 0, 0
    while True:
        try:
            at = ids.index(cfg.image_token_id, start)
        except ValueError:
            break
        t, h, w = grids[image]
        gt, gh, gw = t, h // cfg.merge, w // cfg.merge
        for k in range(at - start):
            cols.append((nxt + k, nxt + k, nxt + k))
        base = nxt + (at - start)
        for ft in range(gt):
            for y in range(gh):
                for x in range(gw):
                    cols.append((base + ft, base + y, base + x))
        nxt = max(max(c) for c in cols) + 1
        start = at + gt * gh * gw
        image += 1
    for k in range(len(ids) - start):
        cols.append((nxt + k, nxt + k, nxt + k))
    return torch.tensor(cols, dtype=torch.long).T  # [3, L]


# ---------------------------------------------------------------------------------------------------------------
# Decoder


def decoder(cfg, s, emb, pos):
    """emb [L, d], pos [3, L] -> final-norm hidden [L, d] (causal attention, GQA, q/k/v biases, M-RoPE)."""
    L, d = emb.shape
    hd, H, KV = cfg.head_dim, cfg.heads, cfg.kv_heads
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = pos.float()[:, :, None] * inv[None, None, :]  # [3, L, hd/2]
    full = torch.cat([freqs, freqs], dim=-1)  # [3, L, hd]
    sec = cfg.mrope_section * 2
    pieces_c, pieces_s, o = [], [], 0
    for i, width in enumerate(sec):
        pieces_c.append(full[i % 3, :, o:o + width].cos())
        pieces_s.append(full[i % 3, :, o:o + width].sin())
        o += width
    cos, sin = torch.cat(pieces_c, -1)[None], torch.cat(pieces_s, -1)[None]  # [1, L, hd]
    mask = torch.full((L, L), float('-inf')).triu(1)
    h = emb
    for i in range(cfg.layers):
        p = f'model.layers.{i}.'
        x = rms_norm(h, s[p + 'input_layernorm.weight'], cfg.eps)
        q = F.linear(x, s[p + 'self_attn.q_proj.weight'], s[p + 'self_attn.q_proj.bias']).view(L, H, hd).transpose(0, 1)
        k = F.linear(x, s[p + 'self_attn.k_proj.weight'], s[p + 'self_attn.k_proj.bias']).view(L, KV, hd).transpose(0, 1)
        v = F.linear(x, s[p + 'self_attn.v_proj.weight'], s[p + 'self_attn.v_proj.bias']).view(L, KV, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        att = torch.softmax((q @ k.transpose(1, 2)) / math.sqrt(hd) + mask, dim=-1)
        ctx = (att @ v).transpose(0, 1).reshape(L, H * hd)
        h = h + F.linear(ctx, s[p + 'self_attn.o_proj.weight'])
        y = rms_norm(h, s[p + 'post_attention_layernorm.weight'], cfg.eps)
        h = h + F.linear(F.silu(F.linear(y, s[p + 'mlp.gate_proj.weight'])) * F.linear(y, s[p + 'mlp.up_proj.weight']), s[p + 'mlp.down_proj.weight'])
    return rms_norm(h, s['model.norm.weight'], cfg.eps)


def synthetic_patches(rows, cols):
    i = np.arange(rows, dtype=np.int64)[:, None]
    j = np.arange(cols, dtype=np.int64)[None, :]
    return torch.from_numpy((((i * 131 + j * 71) % 1999 - 999) / 1000).astype(np.float32))


def run_case(cfg, s, case, columns, base):
    grids = [tuple(g) for g in case['grids']]
    ids = torch.tensor(case['inputIds'], dtype=torch.long)
    rows = sum(t * h * w for t, h, w in grids)
    if 'patchesFile' in case:   # pixel patches from the processor (pipeline cases), else synthetic
        pixels = torch.from_numpy(np.load(os.path.join(base, case['patchesFile'])).astype(np.float32))
        assert tuple(pixels.shape) == (rows, cfg.in_ch * cfg.tpatch * cfg.patch * cfg.patch), 'patches and grids disagree'
    else:
        pixels = synthetic_patches(rows, cfg.in_ch * cfg.tpatch * cfg.patch * cfg.patch)
    vision = encode_vision(cfg, s, pixels, grids)
    emb = s['model.embed_tokens.weight'][ids].clone()
    is_image = ids == cfg.image_token_id
    assert int(is_image.sum()) == vision.shape[0], 'image tokens and features disagree'
    emb[is_image] = vision
    pos = rope_index(cfg, case['inputIds'], grids)
    keep = torch.ones(len(ids), dtype=torch.bool)
    if case['kept'] is not None:
        image_rows = torch.nonzero(is_image).squeeze(1)
        keep[image_rows] = False
        keep[image_rows[torch.tensor(case['kept'], dtype=torch.long)]] = True
    emb, pos = emb[keep], pos[:, keep]
    hidden = decoder(cfg, s, emb, pos)
    head = s['model.embed_tokens.weight'] if cfg.tied else s['lm_head.weight']
    logits = hidden @ head[torch.tensor(columns, dtype=torch.long)].T
    return vision, pos, hidden, logits


def main():
    ckpts, cases_path, out = sys.argv[1:4]
    golden = json.load(open(cases_path))
    if 'checkpoints' not in golden:   # pipeline cases: the checkpoints and columns of cases.json beside them
        base = json.load(open(os.path.join(os.path.dirname(cases_path), 'cases.json')))
        golden = {**golden, 'checkpoints': {c['checkpoint']: None for c in golden['cases']}, 'columns': base['columns']}
    os.makedirs(out, exist_ok=True)
    meta = {'torch': torch.__version__, 'numpy': np.__version__, 'checkpoints': {}}
    loaded = {}
    for name in golden['checkpoints']:
        d = os.path.join(ckpts, name)
        cfg = Cfg(json.load(open(os.path.join(d, 'config.json'))))
        s = load_state(d)
        assert cfg.tied == ('lm_head.weight' not in s), f'{name}: tie_word_embeddings and lm_head.weight disagree'
        loaded[name] = (cfg, s)
        meta['checkpoints'][name] = sha256_checkpoint(d)
    for case in golden['cases']:
        cfg, s = loaded[case['checkpoint']]
        vision, pos, hidden, logits = run_case(cfg, s, case, golden['columns'], ckpts)
        np.save(os.path.join(out, case['name'] + '.vision.npy'), vision.numpy().astype(np.float32))
        np.save(os.path.join(out, case['name'] + '.positions.npy'), pos.numpy().astype(np.int64))
        np.save(os.path.join(out, case['name'] + '.hidden.npy'), hidden.numpy().astype(np.float32))
        np.save(os.path.join(out, case['name'] + '.logits.npy'), logits.numpy().astype(np.float32))
        print(f"{case['name']}: {hidden.shape[0]} rows, |logits|max {logits.abs().max():.3f}")
    meta_name = 'meta.json' if len(sys.argv) < 5 else sys.argv[4]
    with open(os.path.join(out, meta_name), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
