/**
 * Reference LVLM inference on TensorFlow.js (LLaVA-1.5/NeXT) that loads Hugging Face checkpoints and prunes between projector and LLM.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/pipeline';
