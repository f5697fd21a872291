import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '@resprune/test-backends';
import { decodeImage } from '../src/index.js';
import { expectRejection } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decodeImage', () => {
  it('decodes a JPEG photo from a path into RGB bytes', async () => {
    const img = await decodeImage(sharedPath('images', 'dog.jpg'));
    expect([img.width, img.height]).toEqual([768, 576]);
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.data.length).toBe(768 * 576 * 3);
    expect(img.data.byteOffset).toBe(0);
    // A real photo: many distinct values, not a flat fill.
    expect(new Set(img.data.subarray(0, 30000)).size).toBeGreaterThan(100);
  });

  it('decodes a PNG, and bytes give the same pixels as the path', async () => {
    const path = sharedPath('images', 'chelsea.png');
    const a = await decodeImage(path);
    expect([a.width, a.height]).toEqual([451, 300]);
    const b = await decodeImage(new Uint8Array(readFileSync(path)));
    expect(b.width).toBe(a.width);
    expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
  });

  it('takes an ArrayBuffer or a Blob like bytes, and maxSide scales down keeping the aspect ratio', async () => {
    const path = sharedPath('images', 'chelsea.png');
    const bytes = readFileSync(path);
    const a = await decodeImage(path);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const fromBuffer = await decodeImage(buffer);
    const fromBlob = await decodeImage(new Blob([bytes], { type: 'image/png' }));
    expect(Buffer.from(fromBuffer.data).equals(Buffer.from(a.data))).toBe(true);
    expect(Buffer.from(fromBlob.data).equals(Buffer.from(a.data))).toBe(true);
    const small = await decodeImage(path, { maxSide: 150 });
    expect([small.width, small.height]).toEqual([150, 100]);
    const same = await decodeImage(path, { maxSide: 4096 }); // never upscales
    expect([same.width, same.height]).toEqual([451, 300]);
    await expectRejection(decodeImage(path, { maxSide: 0 }), 'E_INVALID_OPTION', /maxSide must be a positive integer/);
  });

  it('turns grey and RGBA images into RGB; transparency becomes white', async () => {
    const grey = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    const g = await decodeImage(new Uint8Array(grey));
    expect(Array.from(g.data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255, 64, 64, 64]);
    const rgba = await sharp(Buffer.from([255, 0, 0, 255, 0, 0, 255, 0]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const c = await decodeImage(new Uint8Array(rgba));
    expect(Array.from(c.data)).toEqual([255, 0, 0, 255, 255, 255]);
  });

  it('applies the EXIF orientation', async () => {
    const raw = Buffer.alloc(4 * 2 * 3, 200);
    const rotated = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(new Uint8Array(rotated));
    expect([img.width, img.height]).toEqual([2, 4]);
  });

  it('a missing path or a directory is E_FILE_NOT_FOUND', async () => {
    await expectRejection(decodeImage(join(dir, 'missing.jpg')), 'E_FILE_NOT_FOUND', /missing\.jpg': no such file/);
    await expectRejection(decodeImage(dir), 'E_FILE_NOT_FOUND', /is a directory, not a regular file/);
  });

  it('a text file, a truncated JPEG, empty bytes or a wrong argument are E_IMAGE_DECODE', async () => {
    const text = join(dir, 'notes.jpg');
    writeFileSync(text, 'this is not an image\n');
    await expectRejection(decodeImage(text), 'E_IMAGE_DECODE', /notes\.jpg' is not a readable image/);
    const jpeg = readFileSync(sharedPath('images', 'dog.jpg'));
    const truncated = join(dir, 'truncated.jpg');
    writeFileSync(truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await expectRejection(decodeImage(truncated), 'E_IMAGE_DECODE', /truncated\.jpg' is not a readable image/);
    await expectRejection(decodeImage(new Uint8Array(jpeg.subarray(0, 2000))), 'E_IMAGE_DECODE', /the given bytes is not a readable image/);
    await expectRejection(decodeImage(new Uint8Array(0)), 'E_IMAGE_DECODE', /empty/);
    await expectRejection(decodeImage(42 as unknown as string), 'E_IMAGE_DECODE', /file path, a Uint8Array or ArrayBuffer/);
  });
});
