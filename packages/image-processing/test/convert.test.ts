import { expectError } from '@resprune/test-backends';
import { describe, expect, it } from 'vitest';
import { convertToRgb, type PilMode } from '../src/index.js';
import { golden } from './helpers.js';

interface ConvertCase {
  mode: PilMode;
  width: number;
  height: number;
  data: number[];
  palette?: number[];
  rgb: number[];
}
const { pillow, cases } = golden<{ pillow: string; cases: ConvertCase[] }>('convert.json');
const CHANNELS = { L: 1, LA: 2, RGB: 3, RGBA: 4, P: 1 } as const;

describe(`convertToRgb equals Pillow ${pillow} convert("RGB")`, () => {
  it.each(cases.map((c) => [c.mode, c] as const))('mode %s', (mode, c) => {
    const out = convertToRgb({
      width: c.width,
      height: c.height,
      channels: CHANNELS[mode],
      data: new Uint8Array(c.data),
      ...(mode === 'P' ? { mode, palette: new Uint8Array(c.palette!) } : {}),
    });
    expect([out.width, out.height]).toEqual([c.width, c.height]);
    expect(Array.from(out.data)).toEqual(c.rgb);
  });

  it('drops alpha without compositing: a fully transparent pixel keeps its colour', () => {
    const out = convertToRgb({ width: 1, height: 1, channels: 4, data: new Uint8Array([10, 20, 30, 0]) });
    expect(Array.from(out.data)).toEqual([10, 20, 30]);
  });
});

describe('convertToRgb errors', () => {
  it('rejects empty sizes, wrong byte counts and channel counts', () => {
    expectError(() => convertToRgb({ width: 0, height: 1, channels: 3, data: new Uint8Array(0) }), 'E_IMAGE_SIZE', /positive integers/);
    expectError(() => convertToRgb({ width: 2, height: 1, channels: 3, data: new Uint8Array(5) }), 'E_SHAPE_MISMATCH', /needs 6 bytes, got 5/);
    expectError(() => convertToRgb({ width: 1, height: 1, channels: 5 as never, data: new Uint8Array(5) }), 'E_SHAPE_MISMATCH', /channels must be 1, 2, 3 or 4/);
    expectError(() => convertToRgb({ width: 1, height: 1, channels: 2, mode: 'RGB', data: new Uint8Array(2) }), 'E_SHAPE_MISMATCH', /mode RGB has 3 channel/);
    expectError(() => convertToRgb({ width: 1, height: 1, channels: 1, mode: 'CMYK' as never, data: new Uint8Array(1) }), 'E_INVALID_OPTION', /unknown mode/);
    expectError(() => convertToRgb({ width: 1, height: 1, channels: 1, mode: 'P', data: new Uint8Array(1) }), 'E_INVALID_OPTION', /needs a palette/);
    expectError(() => convertToRgb(undefined as never), 'E_SHAPE_MISMATCH', /expected/);
  });
});
