/**
 * @packageDocumentation
 * Tiny vision-language model folders in the layout transformers.js loads offline (config.json,
 * processor configs, tokenizer.json, onnx/vision_encoder.onnx, onnx/embed_tokens.onnx,
 * onnx/decoder_model_merged.onnx), and the minimal ONNX writer that builds them. Private to this
 * repository: the tests of `@resprune/transformers`, its benchmark and the web demo's browser test
 * share it.
 */
export { writeTinyVlm, type Family, type NamedWeight, type TinyVlm, type TinyVlmOptions } from './tiny-vlm.js';
export { encodeModel, GraphBuilder, randomFloats, DType, type DTypeName, type Dim, type ValueInfo, type Initializer, type AttributeValue, type NodeSpec } from './onnx.js';
export { writeTinyIdefics3, type Idefics3ModelType, type TinyIdefics3, type TinyIdefics3Options } from './idefics3.js';
