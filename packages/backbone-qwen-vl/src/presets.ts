import type { BackbonePreset } from '@resprune/backbones';

/*
 * Published Hugging Face files of the Qwen2.5-VL presets: config.json and preprocessor_config.json
 * of Qwen/Qwen2.5-VL-7B-Instruct (checked against test/fixtures/) and Qwen/Qwen2.5-VL-3B-Instruct
 * (the 3B config.json differs from the 7B one in the language model's size: hidden 2048, 36 layers,
 * 16 heads, 2 KV heads, tied embeddings, vocabulary 151936, merger output 2048; the preprocessor is
 * the same file).
 */

const PACKAGE = '@resprune/backbone-qwen-vl';

/** `Qwen/Qwen2.5-VL-3B-Instruct`. */
export const QWEN2_5_VL_3B: BackbonePreset = {
  name: 'qwen2.5-vl-3b',
  repo: 'Qwen/Qwen2.5-VL-3B-Instruct',
  package: PACKAGE,
  config: {
    "architectures": [
      "Qwen2_5_VLForConditionalGeneration"
    ],
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "vision_token_id": 151654,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "hidden_act": "silu",
    "hidden_size": 2048,
    "initializer_range": 0.02,
    "intermediate_size": 11008,
    "max_position_embeddings": 128000,
    "max_window_layers": 70,
    "model_type": "qwen2_5_vl",
    "num_attention_heads": 16,
    "num_hidden_layers": 36,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": true,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.41.2",
    "use_cache": true,
    "use_sliding_window": false,
    "vision_config": {
      "depth": 32,
      "hidden_act": "silu",
      "hidden_size": 1280,
      "intermediate_size": 3420,
      "num_heads": 16,
      "in_chans": 3,
      "out_hidden_size": 2048,
      "patch_size": 14,
      "spatial_merge_size": 2,
      "spatial_patch_size": 14,
      "window_size": 112,
      "fullatt_block_indexes": [
        7,
        15,
        23,
        31
      ],
      "tokens_per_second": 2,
      "temporal_patch_size": 2
    },
    "rope_scaling": {
      "type": "mrope",
      "mrope_section": [
        16,
        24,
        24
      ]
    },
    "vocab_size": 151936
  },
  preprocessor: {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": [
      0.48145466,
      0.4578275,
      0.40821073
    ],
    "image_std": [
      0.26862954,
      0.26130258,
      0.27577711
    ],
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen2_5_VLProcessor"
  },
};

/** `Qwen/Qwen2.5-VL-7B-Instruct`. */
export const QWEN2_5_VL_7B: BackbonePreset = {
  name: 'qwen2.5-vl-7b',
  repo: 'Qwen/Qwen2.5-VL-7B-Instruct',
  package: PACKAGE,
  config: {
    "architectures": [
      "Qwen2_5_VLForConditionalGeneration"
    ],
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "vision_token_id": 151654,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "hidden_act": "silu",
    "hidden_size": 3584,
    "initializer_range": 0.02,
    "intermediate_size": 18944,
    "max_position_embeddings": 128000,
    "max_window_layers": 28,
    "model_type": "qwen2_5_vl",
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": false,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.41.2",
    "use_cache": true,
    "use_sliding_window": false,
    "vision_config": {
      "depth": 32,
      "hidden_act": "silu",
      "hidden_size": 1280,
      "intermediate_size": 3420,
      "num_heads": 16,
      "in_chans": 3,
      "out_hidden_size": 3584,
      "patch_size": 14,
      "spatial_merge_size": 2,
      "spatial_patch_size": 14,
      "window_size": 112,
      "fullatt_block_indexes": [
        7,
        15,
        23,
        31
      ],
      "tokens_per_second": 2,
      "temporal_patch_size": 2
    },
    "rope_scaling": {
      "type": "mrope",
      "mrope_section": [
        16,
        24,
        24
      ]
    },
    "vocab_size": 152064
  },
  preprocessor: {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": [
      0.48145466,
      0.4578275,
      0.40821073
    ],
    "image_std": [
      0.26862954,
      0.26130258,
      0.27577711
    ],
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen2_5_VLProcessor"
  },
};

/**
 * The Qwen2.5-VL presets, registered in the default registry by `@resprune/backbone-qwen-vl/register`.
 *
 * @example
 * ```ts
 * import { BackboneRegistry } from '@resprune/backbones';
 * import { QWEN_VL_PRESETS, qwen25vl } from '@resprune/backbone-qwen-vl';
 * const registry = new BackboneRegistry().register(qwen25vl);
 * for (const p of QWEN_VL_PRESETS) registry.registerPreset(p);
 * registry.adapterFromPreset('qwen2.5-vl-3b').layout({ width: 1280, height: 720 }).tokens;
 * ```
 */
export const QWEN_VL_PRESETS: readonly BackbonePreset[] = [QWEN2_5_VL_3B, QWEN2_5_VL_7B];
