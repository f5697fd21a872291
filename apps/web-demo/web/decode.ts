/**
 * Decoding photos in the browser, as `@resprune/image-features` decodes them in Node with sharp:
 * EXIF orientation applied, transparency flattened onto white, 8-bit RGB.
 */
import { ResPruneError } from '@resprune/errors';

/** A decoded photo: RGB bytes for the network and an object URL to show it. */
export interface DecodedPhoto {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** `[height, width, 3]` RGB bytes. */
  readonly rgb: Uint8Array;
  /** An object URL of the original file, for the `<img>` (revoke with {@link releasePhoto}). */
  readonly url: string;
}

/** Photos larger than this (longer side, px) are scaled down before extraction; the network sees 768 px anyway. */
export const MAX_SIDE = 4096;

/**
 * Decodes an image file.
 *
 * @param name - file name, for messages
 * @param blob - the file
 * @returns the photo
 * @throws {@link ResPruneError} `E_IMAGE_DECODE` when the browser cannot decode it, `E_IMAGE_SIZE` for an empty image
 */
export async function decodePhoto(name: string, blob: Blob): Promise<DecodedPhoto> {
  if (blob.size === 0) throw new ResPruneError('E_IMAGE_DECODE', `${name}: the file is empty`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (cause) {
    throw new ResPruneError(
      'E_IMAGE_DECODE',
      `${name} is not an image this browser can decode${blob.type === '' ? '' : ` (type ${blob.type})`}. Choose a JPEG, PNG or WebP photo, or a .npy file of visual tokens.`,
      { cause },
    );
  }
  try {
    if (bitmap.width === 0 || bitmap.height === 0) throw new ResPruneError('E_IMAGE_SIZE', `${name}: the image is empty (${bitmap.width}×${bitmap.height})`);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new ResPruneError('E_IMAGE_DECODE', `${name}: this browser has no 2D canvas to read pixels with`);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
      rgb[q] = rgba[p]!;
      rgb[q + 1] = rgba[p + 1]!;
      rgb[q + 2] = rgba[p + 2]!;
    }
    return { name, width, height, rgb, url: URL.createObjectURL(blob) };
  } finally {
    bitmap.close();
  }
}

/** Frees a photo's object URL. */
export function releasePhoto(photo: DecodedPhoto | undefined): void {
  if (photo !== undefined) URL.revokeObjectURL(photo.url);
}
