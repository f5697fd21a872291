import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@resprune/npy';
import { repoRoot } from '@resprune/test-backends';
import { runCli, tempDir } from './cli-helpers.js';

const llava = (): string => join(repoRoot(), 'packages/backbone-llava/test/fixtures/llava-1.5-7b-hf/config.json');
const next = (): string => join(repoRoot(), 'packages/backbone-llava/test/fixtures/llava-v1.6-mistral-7b-hf/config.json');
const qwen = (file: string): string => join(repoRoot(), 'packages/backbone-qwen-vl/test/fixtures/Qwen2.5-VL-7B-Instruct', file);

let dir = '';
function tokens(name: string, rows: number, d = 16): string {
  const data = new Float32Array(rows * d);
  let s = rows * 7919 + d;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 - 0.5;
  }
  const file = join(dir, name);
  writeFileSync(file, writeNpy(data, [rows, d]));
  return file;
}

interface BackboneJson {
  kept: number[];
  order: number[];
  positions: Array<number | number[]>;
  units: Array<{ label: string; tokens: number; kept: number }>;
  backbone: string;
}

function selectJson(args: string[]): BackboneJson {
  const run = runCli(['select', ...args, '--json', '--backend', 'cpu']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as BackboneJson;
}

beforeAll(() => {
  dir = tempDir();
});

describe('resprune select --config (backbone-aware budgets)', () => {
  it('LLaVA-1.5: 576 tokens, kept re-indexed contiguously', () => {
    const out = selectJson(['--visual', tokens('llava.npy', 576), '--keep', '64', '--config', llava(), '--image-size', '640x480']);
    expect(out.backbone).toBe('llava-1.5');
    expect(out.kept).toHaveLength(64);
    expect(out.positions).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('Qwen2.5-VL: two images get per-image quotas of ceil(tokens x ratio) and keep their M-RoPE ids', () => {
    // 112x112 -> 4x4 = 16 tokens; 1008x1008 -> 36x36 = 1296 tokens (published preprocessor bounds)
    const out = selectJson([
      '--visual', tokens('qwen.npy', 16 + 1296), '--ratio', '0.1',
      '--config', qwen('config.json'), '--preprocessor', qwen('preprocessor_config.json'),
      '--image-size', '112x112', '--image-size', '1008x1008',
    ]);
    expect(out.units.map((u) => [u.tokens, u.kept])).toEqual([[16, 2], [1296, 130]]);
    expect(out.kept).toHaveLength(132);
    expect(out.kept.filter((k) => k < 16)).toHaveLength(2);
    for (const p of out.positions) expect(Array.isArray(p) && p.length === 3).toBe(true);
  });

  it('LLaVA-NeXT per-view policy gives every view its own quota', () => {
    const layout = JSON.parse(runCli(['layout', '--config', next(), '--image-size', '672x672', '--json']).stdout) as { tokens: number; views: unknown[] };
    const out = selectJson(['--visual', tokens('next.npy', layout.tokens), '--ratio', '0.2', '--config', next(), '--image-size', '672x672', '--policy', 'per-view']);
    expect(out.units.length).toBe(layout.views.length);
    for (const u of out.units) expect(u.kept).toBe(Math.ceil(u.tokens * 0.2));
  });

  it('rejects a token count that does not match the layout, bad sizes and stray flags with exit 2', () => {
    const wrong = runCli(['select', '--visual', tokens('short.npy', 100), '--keep', '8', '--config', llava(), '--image-size', '640x480']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/E_SHAPE_MISMATCH/);
    const zero = runCli(['select', '--visual', tokens('z.npy', 576), '--keep', '8', '--config', llava(), '--image-size', '0x480']);
    expect(zero.stderr).toMatch(/E_IMAGE_SIZE/);
    const stray = runCli(['select', '--visual', tokens('s.npy', 576), '--keep', '8', '--image-size', '640x480']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/needs --config/);
    const unknown = runCli(['select', '--visual', tokens('u.npy', 576), '--keep', '8', '--config', llava(), '--image-size', '640x480', '--policy', 'per-pixel']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
  });
});
