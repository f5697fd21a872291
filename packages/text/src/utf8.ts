/**
 * UTF-8 through the platform's TextEncoder/TextDecoder (globals in Node and every browser). The
 * ES2023 lib this package compiles against does not declare them, so they are typed here rather
 * than pulling in DOM or Node types.
 */
interface Encoder {
  encode(input: string): Uint8Array;
}
interface Decoder {
  decode(input: Uint8Array): string;
}
interface Globals {
  TextEncoder: new () => Encoder;
  TextDecoder: new (label: string, options?: { fatal?: boolean }) => Decoder;
}

const g = globalThis as unknown as Globals;
const encoder = new g.TextEncoder();
const strict = new g.TextDecoder('utf-8', { fatal: true });
const lossy = new g.TextDecoder('utf-8');

/** UTF-8 bytes of a string. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Text of UTF-8 bytes; invalid sequences become U+FFFD. */
export function utf8DecodeLossy(bytes: Uint8Array): string {
  return lossy.decode(bytes);
}

/** Text of UTF-8 bytes, or `undefined` when they are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
