import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Typed-error assertions shared by every package's tests. */
export { expectError, expectRejection } from '@resprune/test-backends';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Bytes of a fixture written by fixtures/generate.py (NumPy). */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** Builds a .npy file by hand: magic, version, header length, header text (latin-1 or UTF-8), data. */
export function makeNpy(header: string, data: Uint8Array = new Uint8Array(0), major = 1, utf8 = false): Uint8Array {
  const text = utf8 ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const lengthBytes = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lengthBytes + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (lengthBytes === 2) dv.setUint16(8, text.length, true);
  else dv.setUint32(8, text.length, true);
  out.set(text, 8 + lengthBytes);
  out.set(data, 8 + lengthBytes + text.length);
  return out;
}

