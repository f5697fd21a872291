import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import {
  finishBackboneSelection,
  layoutCommand,
  parseImageSize,
  prepareBackboneSelection,
} from '../src/commands/layout.js';

const packages = fileURLToPath(new URL('../../../packages/', import.meta.url));
const LLAVA15 = join(packages, 'backbone-llava/test/fixtures/llava-1.5-7b-hf/config.json');
const LLAVA_NEXT = join(packages, 'backbone-llava/test/fixtures/llava-v1.6-mistral-7b-hf/config.json');
const QWEN25 = join(packages, 'backbone-qwen-vl/test/fixtures/Qwen2.5-VL-7B-Instruct/config.json');
const QWEN25_PRE = join(packages, 'backbone-qwen-vl/test/fixtures/Qwen2.5-VL-7B-Instruct/preprocessor_config.json');
const QWEN2 = join(packages, 'backbone-qwen-vl/test/fixtures/Qwen2-VL-7B-Instruct/config.json');

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await layoutCommand(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

function tempConfig(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'resprune-layout-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, content);
  return path;
}

describe('resprune layout --json', () => {
  it('LLaVA-NeXT 1100x808: base view, unpadded crops with newlines', async () => {
    const pre = LLAVA_NEXT.replace('config.json', 'preprocessor_config.json');
    const { code, stdout, stderr } = await run('--config', LLAVA_NEXT, '--preprocessor', pre, '--image-size', '1100x808', '--json');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      backbone: 'llava-next',
      modelType: 'llava_next',
      tokens: 2340,
      views: [
        { rows: 24, cols: 24, start: 0, length: 576 },
        { rows: 36, cols: 48, start: 576, length: 1764 },
      ],
    });
    const newlines = json['newlines'] as number[];
    expect(newlines.length).toBe(36);
    expect(newlines.slice(0, 2)).toEqual([624, 673]);
    expect(newlines[35]).toBe(2339);
    expect(stdout.endsWith('\n')).toBe(true);
  });

  it('LLaVA-1.5: 576 tokens whatever the size', async () => {
    const { code, stdout } = await run('--config', LLAVA15, '--image-size', '4000x20', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      backbone: 'llava-1.5',
      modelType: 'llava',
      tokens: 576,
      views: [{ rows: 24, cols: 24, start: 0, length: 576 }],
      newlines: [],
    });
  });

  it('Qwen2.5-VL: the preprocessor bounds change the count, and the note says so', async () => {
    const withPre = await run('--config', QWEN25, '--preprocessor', QWEN25_PRE, '--image-size', '1008x1008', '--json');
    expect(withPre.code).toBe(0);
    expect(withPre.stderr).toBe('');
    expect(JSON.parse(withPre.stdout)).toMatchObject({ backbone: 'qwen2.5-vl', tokens: 1296, views: [{ rows: 36, cols: 36, start: 0, length: 1296 }] });
    const without = await run('--config', QWEN25, '--image-size', '1008x1008', '--json');
    expect(JSON.parse(without.stdout)).toMatchObject({ tokens: 1225 });
    expect(without.stderr).toMatch(/note: .*preprocessor_config.json was not read \(pass --preprocessor\); with it, the images would be 1296 tokens, not 1225/);
  });

  it('several images: spans in prompt order', async () => {
    const { code, stdout } = await run('--config', QWEN2, '--image-size', '84x56', '--image-size', '56x56', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { tokens: number; views: unknown[]; images: Array<Record<string, unknown>> };
    expect(json.tokens).toBe(10);
    expect(json.views).toEqual([
      { rows: 2, cols: 3, start: 0, length: 6 },
      { rows: 2, cols: 2, start: 6, length: 4 },
    ]);
    expect(json.images.map((i) => [i['width'], i['height'], i['start'], i['length']])).toEqual([
      [84, 56, 0, 6],
      [56, 56, 6, 4],
    ]);
  });
});

describe('resprune layout (text)', () => {
  it('describes views, spans and newlines', async () => {
    const { code, stdout } = await run('--config', LLAVA_NEXT, '--image-size', '1100x808');
    expect(code).toBe(0);
    expect(stdout).toContain('llava-next (model_type llava_next): 2340 visual tokens for 1 image; positions sequential');
    expect(stdout).toContain('image 0: 1100x808 -> tokens 0..2339 (2340)');
    expect(stdout).toMatch(/crops\s+36x48 \+ newline per row\s+start 576\s+length 1764/);
    expect(stdout).toContain('newlines: 36 (624, 673, 722, 771, … 2339)');
    expect(stdout).toContain('budget defaults: policy global, newlines drop');
  });

  it('prints help', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: resprune layout (--config config.json');
    expect(stdout).toContain('qwen2.5-vl-7b');
  });
});

describe('resprune layout: bad input gives one clear line and exit 2', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['missing vision_config', () => ['--config', tempConfig('{"model_type":"llava"}'), '--image-size', '640x480'], /E_BACKBONE_CONFIG: config.json: "vision_config" is missing; expected an object/],
    ['missing patch_size', () => ['--config', tempConfig('{"model_type":"llava_next","vision_config":{"image_size":336},"image_grid_pinpoints":[[336,672]]}'), '--image-size', '640x480'], /E_BACKBONE_CONFIG: config.json: "vision_config.patch_size" is missing/],
    ['no model_type', () => ['--config', tempConfig('{"vision_config":{}}'), '--image-size', '640x480'], /E_BACKBONE_CONFIG: config.json: "model_type" is missing/],
    ['unknown model type', () => ['--config', tempConfig('{"model_type":"blip-2"}'), '--image-size', '640x480'], /E_BACKBONE_UNKNOWN: Unknown backbone model_type "blip-2"\. Registered: llava-1\.5 \(llava from @resprune\/backbone-llava\);.*qwen2\.5-vl/],
    ['not JSON', () => ['--config', tempConfig('{"model_type": llava'), '--image-size', '640x480'], /E_BACKBONE_CONFIG: config .* is not valid JSON/],
    ['not an object', () => ['--config', tempConfig('[1, 2]'), '--image-size', '640x480'], /E_BACKBONE_CONFIG: config .* must hold a JSON object/],
    ['no such file', () => ['--config', '/nonexistent/config.json', '--image-size', '640x480'], /E_FILE_NOT_FOUND: config \/nonexistent\/config.json does not exist/],
    ['image size of zero', () => ['--config', LLAVA15, '--image-size', '0x480'], /E_IMAGE_SIZE: --image-size 0x480: size must be integers width >= 1 and height >= 1/],
    ['malformed image size', () => ['--config', LLAVA15, '--image-size', '640by480'], /E_IMAGE_SIZE: --image-size expects WxH/],
    ['aspect ratio above 200 (Qwen)', () => ['--config', QWEN25, '--image-size', '5000x20'], /E_IMAGE_SIZE: image 5000x20: aspect ratio 250\.0 exceeds 200/],
    ['no --config', () => ['--image-size', '640x480'], /E_INVALID_OPTION: --config config.json \(or --preset NAME\) is required/],
    ['no --image-size', () => ['--config', LLAVA15], /E_INVALID_OPTION: --image-size WxH is required/],
    ['unknown flag', () => ['--config', LLAVA15, '--image-size', '640x480', '--keep', '3'], /E_INVALID_OPTION: Unknown option '--keep'/],
  ];
  it.each(cases)('%s', async (_, argv, message) => {
    const { code, stdout, stderr } = await run(...argv());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).toMatch(/^resprune layout: E_[A-Z_]+: /);
    expect(stderr).toMatch(message);
  });
});

describe('helpers for `resprune select --config`', () => {
  it('parse WxH', () => {
    expect(parseImageSize('1100x808')).toEqual({ width: 1100, height: 808 });
    expect(parseImageSize(' 64 X 48 ')).toEqual({ width: 64, height: 48 });
  });

  it('split the budget per image and report positions in the backbone scheme (Qwen: [t, h, w])', () => {
    const selection = prepareBackboneSelection(
      { config: QWEN25, preprocessor: QWEN25_PRE, 'image-size': ['84x56', '1008x1008'] },
      { keep: 130 },
      1302,
    )!;
    expect(selection.layout.tokens).toBe(1302);
    expect(selection.plan.units.map((u) => u.budget)).toEqual([{ keep: 1 }, { keep: 130 }]);
    // a stand-in selector: the last q candidates of each unit
    const kept = selection.plan.units.flatMap((u) => u.candidates.slice(-(u.budget as { keep: number }).keep));
    const out = finishBackboneSelection(selection, kept);
    expect(out.kept.length).toBe(131);
    expect(out.positions[0]).toEqual([0, 1, 2]); // token 5 of the 2×3 image: row 1, col 2
    // image 1 starts at position 0 + max(2, 3) = 3; its first kept token is local 1296 − 130 = 1166,
    // at row 32, col 14 of the 36×36 grid
    expect(out.positions[1]).toEqual([3, 3 + 32, 3 + 14]);
  });

  it('report sequential positions for LLaVA and honour --policy/--newlines/--min-tokens', () => {
    const selection = prepareBackboneSelection(
      { config: LLAVA_NEXT, 'image-size': ['1100x808'], policy: 'per-crop', newlines: 'keep-rows', 'min-tokens': '2' },
      { ratio: 0.1 },
      2340,
    )!;
    expect(selection.plan.policy).toBe('per-crop');
    expect(selection.plan.units.map((u) => (u.budget as { keep: number }).keep)).toEqual([58, 44, 44, 44, 44]);
    const kept = selection.plan.units.flatMap((u) => u.candidates.slice(0, (u.budget as { keep: number }).keep));
    const out = finishBackboneSelection(selection, kept);
    expect(out.positions).toEqual(out.kept.map((_, j) => j));
    expect(out.kept.length).toBeGreaterThan(kept.length); // the newlines of rows that keep a token
  });

  it('refuse inconsistent flags with typed errors', () => {
    expect(prepareBackboneSelection({}, { keep: 3 }, 10)).toBeUndefined();
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return isResPruneError(e) ? e.code : 'untyped';
      }
      return 'none';
    };
    expect(codeOf(() => prepareBackboneSelection({ 'image-size': ['10x10'] }, { keep: 3 }, 10))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => prepareBackboneSelection({ config: LLAVA15 }, { keep: 3 }, 576))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => prepareBackboneSelection({ config: LLAVA15, 'image-size': ['10x10'] }, { keep: 3 }, 500))).toBe('E_SHAPE_MISMATCH');
    expect(codeOf(() => prepareBackboneSelection({ config: LLAVA15, 'image-size': ['10x10'], policy: 'tiles' }, { keep: 3 }, 576))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => prepareBackboneSelection({ config: LLAVA15, 'image-size': ['10x10'], 'min-tokens': '-1' }, { keep: 3 }, 576))).toBe('E_BUDGET');
    expect(codeOf(() => prepareBackboneSelection({ config: LLAVA15, 'image-size': ['10x10'] }, { keep: 0 }, 576))).toBe('E_BUDGET');
  });
});

describe('the built CLI (node dist/cli.js layout)', () => {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  const spawn = (...argv: string[]) => spawnSync(process.execPath, [cli, 'layout', ...argv], { encoding: 'utf8' });

  it('prints the JSON layout and exits 0', () => {
    const r = spawn('--config', LLAVA15, '--image-size', '640x480', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backbone: 'llava-1.5', tokens: 576 });
  });

  it('exits 2 with one line for an image size of zero', () => {
    const r = spawn('--config', LLAVA15, '--image-size', '0x0');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('E_IMAGE_SIZE');
  });
});

describe('resprune layout / select --preset', () => {
  it('a published model by name gives the same layout as its config files', async () => {
    const byPreset = await run('--preset', 'qwen2.5-vl-7b', '--image-size', '1008x1008', '--json');
    expect(byPreset.code, byPreset.stderr).toBe(0);
    const viaFiles = await run('--config', QWEN25, '--preprocessor', QWEN25_PRE, '--image-size', '1008x1008', '--json');
    expect(viaFiles.code, viaFiles.stderr).toBe(0);
    expect(JSON.parse(byPreset.stdout)).toEqual(JSON.parse(viaFiles.stdout));
    expect((JSON.parse(byPreset.stdout) as { tokens: number }).tokens).toBe(1296);
    const unknown = await run('--preset', 'llava-9000', '--image-size', '10x10');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/E_BACKBONE_UNKNOWN.*llava-1\.5-7b/);
    const both = await run('--preset', 'llava-1.5-7b', '--config', QWEN25, '--image-size', '10x10');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--config or --preset, not both/);
  });
});
