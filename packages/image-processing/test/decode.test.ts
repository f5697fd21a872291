import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectRejection } from '@resprune/test-backends';
import { describe, expect, it } from 'vitest';
import { decodeRgb, decodeRgbFile } from '../src/node.js';
import { GOLDEN, golden, sha256, sharedImages } from './helpers.js';

interface FileCase {
  file: string;
  mode: string;
  width: number;
  height: number;
  sha256: string;
  samples: Array<[number, number]>;
  noTranspose: { width: number; height: number; sha256: string };
}
interface PhotoCase {
  file: string;
  width: number;
  height: number;
  sha256: string;
  samples: Array<[number, number]>;
}
const { pillow, files, photos } = golden<{ pillow: string; files: FileCase[]; photos: PhotoCase[] }>('decode.json');

describe(`decodeRgb equals transformers load_image (Pillow ${pillow}: exif_transpose + convert("RGB"))`, () => {
  it.each(files.map((f) => [`${f.file} (PIL mode ${f.mode})`, f] as const))('%s', async (_, f) => {
    const bytes = new Uint8Array(readFileSync(join(GOLDEN, 'files', f.file)));
    const img = await decodeRgb(bytes);
    expect([img.width, img.height]).toEqual([f.width, f.height]);
    expect(f.samples.map(([i]) => [i, img.data[i]])).toEqual(f.samples);
    expect(sha256(img.data)).toBe(f.sha256);
    const plain = await decodeRgb(bytes, { exifTranspose: false });
    expect([plain.width, plain.height]).toEqual([f.noTranspose.width, f.noTranspose.height]);
    expect(sha256(plain.data)).toBe(f.noTranspose.sha256);
  });

  const dir = sharedImages();
  if (dir === undefined) console.warn('decode.test: ../shared/images is absent; the photo goldens are skipped');
  it.skipIf(dir === undefined).each(photos.map((p) => [p.file, p] as const))('shared photo %s', async (_, p) => {
    const img = await decodeRgbFile(join(dir!, p.file));
    expect([img.width, img.height]).toEqual([p.width, p.height]);
    expect(p.samples.map(([i]) => [i, img.data[i]])).toEqual(p.samples);
    expect(sha256(img.data)).toBe(p.sha256);
  });
});

describe('decodeRgb and embedded ICC profiles', () => {
  it('keeps the stored values as PIL does, where sharp by default would colour-convert them', async () => {
    const bytes = new Uint8Array(readFileSync(join(GOLDEN, 'files', 'icc-swapped.png')));
    const f = files.find((x) => x.file === 'icc-swapped.png')!;
    expect(sha256((await decodeRgb(bytes)).data)).toBe(f.sha256);
    // The fixture really exercises colour management: sharp's default pipeline gives other pixels.
    const sharp = (await import('sharp')).default;
    const managed = new Uint8Array(await sharp(bytes).raw().toBuffer());
    expect(sha256(managed)).not.toBe(f.sha256);
  });
});

describe('decode errors', () => {
  it('rejects empty, garbage and truncated bytes with E_IMAGE_DECODE', async () => {
    await expectRejection(decodeRgb(new Uint8Array(0)), 'E_IMAGE_DECODE', /empty/);
    await expectRejection(decodeRgb(new Uint8Array([1, 2, 3, 4, 5])), 'E_IMAGE_DECODE', /not a readable image/);
    const png = new Uint8Array(readFileSync(join(GOLDEN, 'files', 'rgba.png')));
    await expectRejection(decodeRgb(png.subarray(0, png.length - 40)), 'E_IMAGE_DECODE', /not a readable image/);
    await expectRejection(decodeRgb('x.png' as never), 'E_IMAGE_DECODE', /Uint8Array/);
  });

  it('reports a missing file as E_FILE_NOT_FOUND', async () => {
    await expectRejection(decodeRgbFile(join(GOLDEN, 'files', 'nope.png')), 'E_FILE_NOT_FOUND', /nope\.png.*no such file/);
    await expectRejection(decodeRgbFile(GOLDEN), 'E_FILE_NOT_FOUND', /directory, not a regular file/);
  });
});

describe('decodeRgb refuses what it cannot match', () => {
  it('rejects CMYK JPEGs with E_IMAGE_DECODE (PIL CMYK -> RGB is not reproduced)', async () => {
    const sharp = (await import('sharp')).default;
    const src = new Uint8Array(8 * 8 * 3).fill(120);
    const cmyk = await sharp(src, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    await expectRejection(decodeRgb(new Uint8Array(cmyk)), 'E_IMAGE_DECODE', /cmyk images .* not supported/);
  });
});
