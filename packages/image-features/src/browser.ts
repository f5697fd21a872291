/**
 * The browser build of `@resprune/image-features` (the `browser` export condition): the same exports
 * as the Node entry (`index.ts`), with `decodeImage` and `renderOverlay` on `createImageBitmap` and a
 * 2D canvas instead of sharp and the file system. Its types are the Node entry's.
 */
export * from './shared.js';
export { decodeImage, readImageHeader, renderOverlay } from './browser-impl.js';
