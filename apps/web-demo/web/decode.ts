/**
 * Decoding photos in the browser with `@resprune/image-features` (its `browser` build: EXIF
 * orientation applied, transparency flattened onto white, 8-bit RGB, as sharp gives in Node).
 */
import { isResPruneError, ResPruneError } from '@resprune/errors';
import { decodeImage } from '@resprune/image-features';

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
  try {
    const { width, height, data } = await decodeImage(blob, { maxSide: MAX_SIDE });
    return { name, width, height, rgb: data, url: URL.createObjectURL(blob) };
  } catch (cause) {
    if (isResPruneError(cause) && cause.code === 'E_IMAGE_DECODE') {
      throw new ResPruneError(
        'E_IMAGE_DECODE',
        `${name} is not an image this browser can decode${blob.type === '' ? '' : ` (type ${blob.type})`}. Choose a JPEG, PNG or WebP photo, or a .npy file of visual tokens.`,
        { cause },
      );
    }
    throw cause;
  }
}

/** Frees a photo's object URL. */
export function releasePhoto(photo: DecodedPhoto | undefined): void {
  if (photo !== undefined) URL.revokeObjectURL(photo.url);
}
