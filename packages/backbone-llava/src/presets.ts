import type { BackbonePreset } from '@resprune/backbones';

/*
 * Published Hugging Face files of the LLaVA presets. llava-1.5-7b and llava-v1.6-mistral-7b are the
 * files of llava-hf/llava-1.5-7b-hf and llava-hf/llava-v1.6-mistral-7b-hf unchanged (the tests check
 * them against the copies under test/fixtures/). llava-v1.6-vicuna-7b is the llava-v1.6 file with
 * the text model HF's convert_llava_next_weights_to_hf.py uses for it (lmsys/vicuna-7b-v1.5,
 * pad_token_id 32001); every field the adapter reads (model_type, image_grid_pinpoints,
 * vision_config, image_token_index, vision_feature_*) is the same as in the Mistral conversion.
 */

const PACKAGE = '@resprune/backbone-llava';

/** `llava-hf/llava-1.5-7b-hf`: LLaVA-1.5 on Vicuna-7B, 336 px CLIP ViT-L/14, 576 visual tokens. */
export const LLAVA_1_5_7B: BackbonePreset = {
  name: 'llava-1.5-7b',
  repo: 'llava-hf/llava-1.5-7b-hf',
  package: PACKAGE,
  config: {
    "architectures": [
      "LlavaForConditionalGeneration"
    ],
    "ignore_index": -100,
    "image_token_index": 32000,
    "model_type": "llava",
    "pad_token_id": 32001,
    "projector_hidden_act": "gelu",
    "text_config": {
      "_name_or_path": "lmsys/vicuna-7b-v1.5",
      "architectures": [
        "LlamaForCausalLM"
      ],
      "max_position_embeddings": 4096,
      "model_type": "llama",
      "rms_norm_eps": 1e-05,
      "torch_dtype": "float16",
      "vocab_size": 32064
    },
    "tie_word_embeddings": false,
    "torch_dtype": "float16",
    "transformers_version": "4.36.0.dev0",
    "vision_config": {
      "hidden_size": 1024,
      "image_size": 336,
      "intermediate_size": 4096,
      "model_type": "clip_vision_model",
      "num_attention_heads": 16,
      "num_hidden_layers": 24,
      "patch_size": 14,
      "projection_dim": 768,
      "vocab_size": 32000
    },
    "vision_feature_layer": -2,
    "vision_feature_select_strategy": "default",
    "vocab_size": 32064
  },
  preprocessor: {
    "crop_size": {
      "height": 336,
      "width": 336
    },
    "do_center_crop": true,
    "do_convert_rgb": true,
    "do_normalize": true,
    "do_rescale": true,
    "do_resize": true,
    "image_mean": [
      0.48145466,
      0.4578275,
      0.40821073
    ],
    "image_processor_type": "CLIPImageProcessor",
    "image_std": [
      0.26862954,
      0.26130258,
      0.27577711
    ],
    "processor_class": "LlavaProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {
      "shortest_edge": 336
    }
  },
};

/** `llava-hf/llava-v1.6-mistral-7b-hf`: LLaVA-NeXT (1.6) on Mistral-7B-Instruct-v0.2, anyres tiling. */
export const LLAVA_V1_6_MISTRAL_7B: BackbonePreset = {
  name: 'llava-v1.6-mistral-7b',
  repo: 'llava-hf/llava-v1.6-mistral-7b-hf',
  package: PACKAGE,
  config: {
    "architectures": [
      "LlavaNextForConditionalGeneration"
    ],
    "ignore_index": -100,
    "image_grid_pinpoints": [
      [
        336,
        672
      ],
      [
        672,
        336
      ],
      [
        672,
        672
      ],
      [
        1008,
        336
      ],
      [
        336,
        1008
      ]
    ],
    "image_token_index": 32000,
    "model_type": "llava_next",
    "projector_hidden_act": "gelu",
    "text_config": {
      "_name_or_path": "mistralai/Mistral-7B-Instruct-v0.2",
      "architectures": [
        "MistralForCausalLM"
      ],
      "intermediate_size": 14336,
      "max_position_embeddings": 32768,
      "model_type": "mistral",
      "num_key_value_heads": 8,
      "rms_norm_eps": 1e-05,
      "rope_theta": 1000000.0,
      "sliding_window": null,
      "torch_dtype": "bfloat16",
      "vocab_size": 32064
    },
    "torch_dtype": "float16",
    "transformers_version": "4.39.0.dev0",
    "use_image_newline_parameter": true,
    "vision_config": {
      "hidden_size": 1024,
      "image_size": 336,
      "intermediate_size": 4096,
      "model_type": "clip_vision_model",
      "num_attention_heads": 16,
      "num_hidden_layers": 24,
      "patch_size": 14,
      "projection_dim": 768,
      "vocab_size": 32000
    },
    "vision_feature_layer": -2,
    "vision_feature_select_strategy": "default",
    "vocab_size": 32064
  },
  preprocessor: {
    "aspect_ratio_setting": "anyres",
    "crop_size": {
      "height": 336,
      "width": 336
    },
    "do_center_crop": true,
    "do_convert_rgb": true,
    "do_normalize": true,
    "do_pad": true,
    "do_rescale": true,
    "do_resize": true,
    "image_grid_pinpoints": [
      [
        336,
        672
      ],
      [
        672,
        336
      ],
      [
        672,
        672
      ],
      [
        1008,
        336
      ],
      [
        336,
        1008
      ]
    ],
    "image_mean": [
      0.48145466,
      0.4578275,
      0.40821073
    ],
    "image_processor_type": "LlavaNextImageProcessor",
    "image_std": [
      0.26862954,
      0.26130258,
      0.27577711
    ],
    "processor_class": "LlavaNextProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {
      "shortest_edge": 336
    }
  },
};

/** `llava-hf/llava-v1.6-vicuna-7b-hf`: LLaVA-NeXT (1.6) on Vicuna-7B-v1.5, anyres tiling. */
export const LLAVA_V1_6_VICUNA_7B: BackbonePreset = {
  name: 'llava-v1.6-vicuna-7b',
  repo: 'llava-hf/llava-v1.6-vicuna-7b-hf',
  package: PACKAGE,
  config: {
    "architectures": [
      "LlavaNextForConditionalGeneration"
    ],
    "ignore_index": -100,
    "image_grid_pinpoints": [
      [
        336,
        672
      ],
      [
        672,
        336
      ],
      [
        672,
        672
      ],
      [
        1008,
        336
      ],
      [
        336,
        1008
      ]
    ],
    "image_token_index": 32000,
    "model_type": "llava_next",
    "pad_token_id": 32001,
    "projector_hidden_act": "gelu",
    "text_config": {
      "_name_or_path": "lmsys/vicuna-7b-v1.5",
      "architectures": [
        "LlamaForCausalLM"
      ],
      "max_position_embeddings": 4096,
      "model_type": "llama",
      "pad_token_id": 0,
      "rms_norm_eps": 1e-05,
      "torch_dtype": "float16",
      "vocab_size": 32064
    },
    "torch_dtype": "float16",
    "transformers_version": "4.39.0.dev0",
    "use_image_newline_parameter": true,
    "vision_config": {
      "hidden_size": 1024,
      "image_size": 336,
      "intermediate_size": 4096,
      "model_type": "clip_vision_model",
      "num_attention_heads": 16,
      "num_hidden_layers": 24,
      "patch_size": 14,
      "projection_dim": 768,
      "vocab_size": 32000
    },
    "vision_feature_layer": -2,
    "vision_feature_select_strategy": "default",
    "vocab_size": 32064
  },
  preprocessor: {
    "aspect_ratio_setting": "anyres",
    "crop_size": {
      "height": 336,
      "width": 336
    },
    "do_center_crop": true,
    "do_convert_rgb": true,
    "do_normalize": true,
    "do_pad": true,
    "do_rescale": true,
    "do_resize": true,
    "image_grid_pinpoints": [
      [
        336,
        672
      ],
      [
        672,
        336
      ],
      [
        672,
        672
      ],
      [
        1008,
        336
      ],
      [
        336,
        1008
      ]
    ],
    "image_mean": [
      0.48145466,
      0.4578275,
      0.40821073
    ],
    "image_processor_type": "LlavaNextImageProcessor",
    "image_std": [
      0.26862954,
      0.26130258,
      0.27577711
    ],
    "processor_class": "LlavaNextProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {
      "shortest_edge": 336
    }
  },
};

/**
 * The LLaVA presets, registered in the default registry by `@resprune/backbone-llava/register`.
 *
 * @example
 * ```ts
 * import { BackboneRegistry } from '@resprune/backbones';
 * import { LLAVA_PRESETS, llava15, llavaNext } from '@resprune/backbone-llava';
 * const registry = new BackboneRegistry().register(llava15).register(llavaNext);
 * for (const p of LLAVA_PRESETS) registry.registerPreset(p);
 * registry.adapterFromPreset('llava-v1.6-vicuna-7b');
 * ```
 */
export const LLAVA_PRESETS: readonly BackbonePreset[] = [LLAVA_1_5_7B, LLAVA_V1_6_MISTRAL_7B, LLAVA_V1_6_VICUNA_7B];
