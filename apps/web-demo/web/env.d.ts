/** The shared photos copied into the build by build/shared-images.ts, with their licence rows. */
declare module 'virtual:example-photos' {
  export interface ExamplePhoto {
    /** File name (`dog.jpg`). */
    readonly file: string;
    /** Size as written in LICENSES.md (`768×576`). */
    readonly size: string;
    /** Where the photo comes from. */
    readonly source: string;
    /** Its licence. */
    readonly licence: string;
    /** Path relative to the page (`examples/dog.jpg`). */
    readonly path: string;
  }
  export const EXAMPLE_PHOTOS: readonly ExamplePhoto[];
  /** Path of the copied LICENSES.md, or null when no photo was bundled. */
  export const LICENSES_PATH: string | null;
}
