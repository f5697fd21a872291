#!/usr/bin/env python3
"""Writes the golden files of @resprune/image-processing's tests.

Run from the package folder with Debian's Pillow and NumPy (pip/PyPI is not needed):

    apt-get install -y python3-pil python3-numpy
    /usr/bin/python3 test/golden/make-golden.py [path/to/shared/images]

Outputs (all in test/golden/):
  resize.json      Pillow Image.resize outputs on seeded synthetic images (SHA-256 + samples)
  convert.json     PIL convert("RGB") of L / LA / RGBA / P pixels
  smart-resize.json  Qwen2-VL smart_resize on many sizes
  decode.json      load_image (exif_transpose + convert("RGB")) of files/* and of the shared photos
  processors.json  pixel_values of the three HF slow processors, re-implemented below with NumPy + PIL
  files/*          small encoded images (EXIF orientations, grey, palette, alpha, 16-bit)

transformers itself cannot be installed here, so the processors are re-implemented below from
transformers' source (image_transforms.py, image_processing_utils.py, models/clip, models/llava,
models/llava_next, models/qwen2_vl), step for step, with the same NumPy dtypes.
"""
import hashlib
import io
import json
import math
import os
import sys

import numpy as np
import PIL
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, 'files')
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', '..', '..', '..', 'shared', 'images')

BICUBIC = 3
M32 = 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# Seeded synthetic images (the TypeScript tests build the same bytes with test/synthetic.ts).
def hash32(i, seed):
    h = (i * 2654435761 + seed * 40503) & M32
    h ^= h >> 15
    h = (h * 2246822519) & M32
    h ^= h >> 13
    return h


def synthetic(width, height, seed, kind='noise'):
    """kind 'noise': hashed bytes; 'smooth': gradients plus a little noise (photo-like)."""
    idx = np.arange(width * height * 3, dtype=np.uint64)
    h = (idx * np.uint64(2654435761) + np.uint64(seed * 40503)) & np.uint64(M32)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(2246822519)) & np.uint64(M32)
    h ^= h >> np.uint64(13)
    noise = (h >> np.uint64(24)).astype(np.int64)
    if kind == 'noise':
        v = noise
    else:
        px = idx // np.uint64(3)
        x = (px % np.uint64(width)).astype(np.int64)
        y = (px // np.uint64(width)).astype(np.int64)
        c = (idx % np.uint64(3)).astype(np.int64)
        v = (x * 255 // max(1, width - 1) * (c + 1) + y * 255 // max(1, height - 1) * (3 - c)) // 4 + (noise & 31) - 16
        v = np.clip(v, 0, 255)
    return v.astype(np.uint8).reshape(height, width, 3)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def samples_u8(a, n=8):
    flat = np.ascontiguousarray(a).reshape(-1)
    idx = sorted(set(int(i) for i in np.linspace(0, flat.size - 1, num=min(n, flat.size))))
    return [[i, int(flat[i])] for i in idx]


def samples_f32(a, n=12):
    flat = np.ascontiguousarray(a, dtype='<f4').reshape(-1)
    idx = sorted(set(int(i) for i in np.linspace(0, flat.size - 1, num=min(n, flat.size))))
    # Store the float32 bit pattern as well as the value, so comparisons are exact.
    return [[i, float(flat[i]), int(flat[i:i + 1].view('<u4')[0])] for i in idx]


def write(name, obj, indent=1):
    with open(os.path.join(HERE, name), 'w') as f:
        json.dump(obj, f, indent=indent, separators=None if indent else (',', ':'))
        f.write('\n')


# ---------------------------------------------------------------------------------------------
# 1. Pillow resize.
RESIZE_CASES = [
    # (src w, src h, dst w, dst h, filter, kind)
    (8, 8, 8, 8, BICUBIC, 'noise'),        # same size: copy
    (16, 16, 8, 8, BICUBIC, 'noise'),      # exact 2x down
    (17, 13, 5, 4, BICUBIC, 'noise'),      # odd, ~3.4x down (antialias support 6.8)
    (9, 7, 23, 31, BICUBIC, 'noise'),      # odd up
    (12, 10, 12, 25, BICUBIC, 'noise'),    # vertical pass only
    (12, 10, 29, 10, BICUBIC, 'noise'),    # horizontal pass only
    (1, 1, 5, 7, BICUBIC, 'noise'),        # 1-px source
    (7, 5, 1, 1, BICUBIC, 'noise'),        # 1-px output
    (1, 40, 3, 9, BICUBIC, 'noise'),       # 1-px wide, extreme aspect
    (300, 1, 17, 2, BICUBIC, 'noise'),     # 1-px tall, extreme aspect
    (200, 3, 50, 40, BICUBIC, 'noise'),    # down in x, up in y
    (3, 200, 40, 50, BICUBIC, 'noise'),    # up in x, down in y
    (97, 89, 13, 11, BICUBIC, 'noise'),    # strong downscale (~7.5x)
    (45, 70, 336, 522, BICUBIC, 'smooth'),  # the 45x70 photo to CLIP's shortest edge 336
    (640, 427, 503, 336, BICUBIC, 'smooth'),  # rocket.jpg-sized CLIP resize
    (773, 512, 336, 336, BICUBIC, 'smooth'),  # LLaVA-NeXT base view squash
    (1352, 900, 1009, 672, BICUBIC, 'smooth'),  # LLaVA-NeXT fit into a 672 pinpoint
    (64, 48, 65, 49, BICUBIC, 'noise'),    # tiny upscale (scale just below 1)
    (65, 49, 64, 48, BICUBIC, 'noise'),    # tiny downscale (scale just above 1)
    (33, 21, 11, 7, BICUBIC, 'noise'),     # exact 3x down
    (2, 2, 255, 3, BICUBIC, 'noise'),      # huge upscale in x
    (255, 255, 2, 2, BICUBIC, 'noise'),    # huge downscale, wide support
    (31, 17, 13, 29, 2, 'noise'),          # BILINEAR
    (31, 17, 13, 29, 4, 'noise'),          # BOX
    (31, 17, 13, 29, 1, 'noise'),          # LANCZOS
    (31, 17, 13, 29, 5, 'noise'),          # HAMMING
    (13, 29, 31, 17, 1, 'noise'),          # LANCZOS up/down
    (13, 29, 31, 17, 5, 'noise'),          # HAMMING up/down
    (20, 20, 7, 7, 2, 'smooth'),           # BILINEAR down
    (7, 7, 20, 20, 4, 'smooth'),           # BOX up
]


def make_resize():
    cases = []
    for n, (sw, sh, dw, dh, flt, kind) in enumerate(RESIZE_CASES):
        seed = 1000 + n
        src = synthetic(sw, sh, seed, kind)
        out = np.array(Image.fromarray(src, 'RGB').resize((dw, dh), resample=flt))
        assert out.shape == (dh, dw, 3) and out.dtype == np.uint8
        cases.append({
            'src': [sw, sh], 'dst': [dw, dh], 'filter': flt, 'kind': kind, 'seed': seed,
            'sha256': sha(out), 'samples': samples_u8(out),
            'bytes': out.reshape(-1).tolist() if out.size <= 192 else None,
        })
    write('resize.json', {'pillow': PIL.__version__, 'numpy': np.__version__, 'cases': cases})


# ---------------------------------------------------------------------------------------------
# 2. convert("RGB").
def make_convert():
    cases = []
    w, h = 7, 5
    base = synthetic(w, h, 77, 'noise')
    grey = base[:, :, 0].copy()
    la = base[:, :, :2].copy()
    rgba = np.concatenate([base, synthetic(w, h, 78, 'noise')[:, :, :1]], axis=2)
    for mode, arr in (('L', grey), ('LA', la), ('RGBA', rgba), ('RGB', base)):
        im = Image.frombytes(mode, (w, h), arr.tobytes())
        out = np.array(im.convert('RGB'))
        cases.append({'mode': mode, 'width': w, 'height': h, 'data': arr.reshape(-1).tolist(), 'rgb': out.reshape(-1).tolist()})
    # Palette: 5 entries, indices 0..6 (5 and 6 point past the given entries).
    pal = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]
    idx = (grey % 7).astype(np.uint8)
    im = Image.frombytes('P', (w, h), idx.tobytes())
    im.putpalette(pal)
    out = np.array(im.convert('RGB'))
    cases.append({'mode': 'P', 'width': w, 'height': h, 'data': idx.reshape(-1).tolist(), 'palette': pal, 'rgb': out.reshape(-1).tolist()})
    write('convert.json', {'pillow': PIL.__version__, 'cases': cases})


# ---------------------------------------------------------------------------------------------
# 3. smart_resize (transformers models/qwen2_vl/image_processing_qwen2_vl.py, the current form
# with max(factor, ...) in the downscale branch).
def smart_resize(height, width, factor=28, min_pixels=56 * 56, max_pixels=14 * 14 * 4 * 1280):
    if max(height, width) / min(height, width) > 200:
        raise ValueError('aspect')
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def make_smart_resize():
    cases = []
    sizes = [(h, w) for h in (1, 2, 13, 14, 27, 28, 29, 41, 42, 43, 70, 98, 111, 300, 427, 512, 576, 808, 900, 1000, 2048, 4000)
             for w in (1, 5, 28, 42, 45, 56, 70, 99, 140, 451, 640, 773, 1100, 1352, 3000, 9000)]
    for min_p, max_p in ((3136, 12845056), (3136, 1003520), (256 * 28 * 28, 1280 * 28 * 28), (3136, 3136 * 4)):
        for h, w in sizes:
            try:
                out = list(smart_resize(h, w, 28, min_p, max_p))
            except ValueError:
                out = None
            cases.append([h, w, min_p, max_p, out])
    write('smart-resize.json', {'factor': 28, 'cases': cases}, indent=None)


# ---------------------------------------------------------------------------------------------
# 4. Decoding: transformers.image_utils.load_image = ImageOps.exif_transpose + convert("RGB").
def load_image(path_or_bytes, transpose=True):
    im = Image.open(path_or_bytes if isinstance(path_or_bytes, str) else io.BytesIO(path_or_bytes))
    if transpose:
        im = ImageOps.exif_transpose(im)
    return np.array(im.convert('RGB'))


def make_files():
    os.makedirs(FILES, exist_ok=True)
    src = synthetic(13, 8, 4242, 'smooth')
    im = Image.fromarray(src, 'RGB')
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        im.save(os.path.join(FILES, f'orient-{o}.png'), 'PNG', exif=exif.tobytes())
        im.save(os.path.join(FILES, f'orient-{o}.jpg'), 'JPEG', quality=90, exif=exif.tobytes())
    Image.fromarray(src[:, :, 1], 'L').save(os.path.join(FILES, 'grey.png'))
    Image.frombytes('LA', (13, 8), src[:, :, :2].tobytes()).save(os.path.join(FILES, 'grey-alpha.png'))
    alpha = synthetic(13, 8, 4243, 'noise')[:, :, :1]
    alpha[0, :4] = 0  # fully transparent pixels keep their stored colour in PIL's convert
    Image.fromarray(np.concatenate([src, alpha], axis=2), 'RGBA').save(os.path.join(FILES, 'rgba.png'))
    p = im.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    p.save(os.path.join(FILES, 'palette.png'))
    p.info['transparency'] = 3
    p.save(os.path.join(FILES, 'palette-trns.png'), transparency=3)
    g16 = (synthetic(13, 8, 4244, 'noise')[:, :, 0].astype(np.uint16) * 3).astype(np.uint16)  # 0..765: some above 255
    Image.fromarray(g16, 'I;16').save(os.path.join(FILES, 'grey16.png'))
    rgb16 = synthetic(13, 8, 4245, 'noise').astype(np.uint16) * 257 + 3
    # PIL cannot write 16-bit RGB PNGs; write the file by hand (IHDR depth 16, colour type 2).
    import struct
    import zlib
    raw = b''.join(b'\x00' + rgb16[y].astype('>u2').tobytes() for y in range(8))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & M32)
    png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 13, 8, 16, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
    with open(os.path.join(FILES, 'rgb16.png'), 'wb') as f:
        f.write(png)


def icc_profile_swapped_primaries():
    """A minimal ICC v2 RGB matrix/TRC display profile whose red and blue primaries are swapped and
    whose curves are linear: a colour-managed decoder (sharp's default) changes the pixels a lot,
    PIL (which ignores embedded profiles) does not."""
    import struct

    def s15(v):
        return struct.pack('>i', int(round(v * 65536)))

    def xyz(x, y, z):
        return b'XYZ ' + b'\0' * 4 + s15(x) + s15(y) + s15(z)
    text = b'swapped primaries\0'
    desc = b'desc' + b'\0' * 4 + struct.pack('>I', len(text)) + text + b'\0' * 8 + b'\0' * 3 + b'\0' * 67
    curv = b'curv' + b'\0' * 4 + struct.pack('>I', 1) + struct.pack('>H', 0x0100)
    tags = [(b'desc', desc), (b'wtpt', xyz(0.9642, 1.0, 0.8249)), (b'rXYZ', xyz(0.1431, 0.0606, 0.7141)),
            (b'gXYZ', xyz(0.3851, 0.7169, 0.0971)), (b'bXYZ', xyz(0.4361, 0.2225, 0.0139)),
            (b'rTRC', curv), (b'gTRC', curv), (b'bTRC', curv), (b'cprt', b'text' + b'\0' * 4 + b'none\0')]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b'', b''
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b'\0'
        table += sig + struct.pack('>II', offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack('>I', size) + b'\0' * 4 + struct.pack('>I', 0x02100000) + b'mntrRGB XYZ ' + b'\0' * 12 + b'acsp'
              + b'\0' * 28 + s15(0.9642) + s15(1.0) + s15(0.8249) + b'\0' * 48)
    assert len(header) == 128
    return header + struct.pack('>I', len(tags)) + table + data


def make_decode():
    make_files()
    src = synthetic(13, 8, 4246, 'smooth')
    Image.fromarray(src, 'RGB').save(os.path.join(FILES, 'icc-swapped.png'), icc_profile=icc_profile_swapped_primaries())
    files = []
    for name in sorted(os.listdir(FILES)):
        path = os.path.join(FILES, name)
        rgb = load_image(path)
        plain = load_image(path, transpose=False)
        files.append({'file': name, 'mode': Image.open(path).mode, 'width': rgb.shape[1], 'height': rgb.shape[0], 'sha256': sha(rgb),
                      'samples': samples_u8(rgb), 'noTranspose': {'width': plain.shape[1], 'height': plain.shape[0], 'sha256': sha(plain)}})
    photos = []
    if os.path.isdir(SHARED):
        for name in sorted(os.listdir(SHARED)):
            if not name.endswith(('.jpg', '.png')):
                continue
            rgb = load_image(os.path.join(SHARED, name))
            photos.append({'file': name, 'width': rgb.shape[1], 'height': rgb.shape[0], 'sha256': sha(rgb), 'samples': samples_u8(rgb)})
    write('decode.json', {'pillow': PIL.__version__, 'files': files, 'photos': photos})
    return photos


# ---------------------------------------------------------------------------------------------
# 5. The slow processors, re-implemented from transformers' source with the same dtypes.
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def hf_resize(image, size, resample):
    """image_transforms.resize on a uint8 HWC array: to_pil_image (no rescale for uint8), PIL resize, np.array."""
    assert image.dtype == np.uint8
    height, width = size
    return np.array(Image.fromarray(image).resize((width, height), resample=resample))


def get_resize_output_image_size(image, size, default_to_square):
    if isinstance(size, (tuple, list)):
        return tuple(size)
    if default_to_square:
        return (size, size)
    height, width = image.shape[:2]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def clip_resize(image, size, resample):
    """CLIPImageProcessor.resize (shortest_edge, or height/width)."""
    if 'shortest_edge' in size:
        out = get_resize_output_image_size(image, size['shortest_edge'], default_to_square=False)
    else:
        out = get_resize_output_image_size(image, (size['height'], size['width']), default_to_square=True)
    return hf_resize(image, out, resample)


def center_crop(image, size):
    """image_transforms.center_crop, HWC in, HWC out (it works in CHW internally)."""
    img = image.transpose(2, 0, 1)
    orig_height, orig_width = img.shape[-2:]
    crop_height, crop_width = int(size[0]), int(size[1])
    top = (orig_height - crop_height) // 2
    bottom = top + crop_height
    left = (orig_width - crop_width) // 2
    right = left + crop_width
    if top >= 0 and bottom <= orig_height and left >= 0 and right <= orig_width:
        return img[..., top:bottom, left:right].transpose(1, 2, 0)
    new_height = max(crop_height, orig_height)
    new_width = max(crop_width, orig_width)
    new_image = np.zeros_like(img, shape=img.shape[:-2] + (new_height, new_width))
    top_pad = math.ceil((new_height - orig_height) / 2)
    left_pad = math.ceil((new_width - orig_width) / 2)
    new_image[..., top_pad:top_pad + orig_height, left_pad:left_pad + orig_width] = img
    top += top_pad
    bottom += top_pad
    left += left_pad
    right += left_pad
    new_image = new_image[..., max(0, top):min(new_height, bottom), max(0, left):min(new_width, right)]
    return new_image.transpose(1, 2, 0)


def rescale(image, scale):
    """image_transforms.rescale: upcast to float64, multiply, downcast to float32."""
    return (image.astype(np.float64) * scale).astype(np.float32)


def normalize(image, mean, std):
    """image_transforms.normalize (channels last): float32 unless already floating; mean/std in image dtype."""
    if not np.issubdtype(image.dtype, np.floating):
        image = image.astype(np.float32)
    mean = np.array(mean, dtype=image.dtype)
    std = np.array(std, dtype=image.dtype)
    return (image - mean) / std


def to_chw(image):
    return image.transpose(2, 0, 1)


def clip_preprocess(image, cfg):
    """CLIPImageProcessor.preprocess (and LlavaImageProcessor with do_pad) for one HWC uint8 image."""
    if cfg.get('image_processor_type') == 'LlavaImageProcessor' and cfg.get('do_pad', False):
        image = pad_to_square(image, tuple(int(x * 255) for x in cfg.get('image_mean', OPENAI_CLIP_MEAN)))
    image = clip_steps(image, cfg)
    return np.array([to_chw(image)])


def clip_size(cfg):
    s = cfg.get('size', {'shortest_edge': 224})
    return {'shortest_edge': s} if isinstance(s, int) else s


def crop_size(cfg):
    c = cfg.get('crop_size', {'height': 224, 'width': 224})
    return {'height': c, 'width': c} if isinstance(c, int) else c


def clip_steps(image, cfg):
    resample = cfg.get('resample', BICUBIC)
    if cfg.get('do_resize', True):
        image = clip_resize(image, clip_size(cfg), resample)
    if cfg.get('do_center_crop', True):
        c = crop_size(cfg)
        image = center_crop(image, (c['height'], c['width']))
    if cfg.get('do_rescale', True):
        image = rescale(image, cfg.get('rescale_factor', 1 / 255))
    if cfg.get('do_normalize', True):
        image = normalize(image, cfg.get('image_mean', OPENAI_CLIP_MEAN), cfg.get('image_std', OPENAI_CLIP_STD))
    return image


def pad_to_square(image, background_color):
    """LlavaImageProcessor.pad_to_square, channels last."""
    height, width = image.shape[:2]
    if height == width:
        return image
    max_dim = max(height, width)
    result = np.zeros((max_dim, max_dim, image.shape[2]), dtype=image.dtype)
    for i, color in enumerate(background_color):
        result[:, :, i] = color
    if width > height:
        start = (max_dim - height) // 2
        result[start:start + height, :, :] = image
    else:
        start = (max_dim - width) // 2
        result[:, start:start + width, :] = image
    return result


def select_best_resolution(original_size, possible_resolutions):
    """image_processing_utils.select_best_resolution."""
    original_height, original_width = original_size
    best_fit = None
    max_effective_resolution = 0
    min_wasted_resolution = float('inf')
    for height, width in possible_resolutions:
        scale = min(width / original_width, height / original_height)
        downscaled_width, downscaled_height = int(original_width * scale), int(original_height * scale)
        effective_resolution = min(downscaled_width * downscaled_height, original_width * original_height)
        wasted_resolution = (width * height) - effective_resolution
        if effective_resolution > max_effective_resolution or (
                effective_resolution == max_effective_resolution and wasted_resolution < min_wasted_resolution):
            max_effective_resolution = effective_resolution
            min_wasted_resolution = wasted_resolution
            best_fit = (height, width)
    return best_fit


def get_patch_output_size(image, target_resolution):
    """image_processing_utils.get_patch_output_size."""
    original_height, original_width = image.shape[:2]
    target_height, target_width = target_resolution
    scale_w = target_width / original_width
    scale_h = target_height / original_height
    if scale_w < scale_h:
        new_width = target_width
        new_height = min(math.ceil(original_height * scale_w), target_height)
    else:
        new_height = target_height
        new_width = min(math.ceil(original_width * scale_h), target_width)
    return new_height, new_width


def llava_next_preprocess(image, cfg):
    """LlavaNextImageProcessor.preprocess for one HWC uint8 image: get_image_patches, then _preprocess per view."""
    resample = cfg.get('resample', BICUBIC)
    size = clip_size(cfg)
    pinpoints = cfg.get('image_grid_pinpoints', [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]])
    patch_size = crop_size(cfg)['height']
    best = select_best_resolution(image.shape[:2], pinpoints)
    # _resize_for_patching
    new_height, new_width = get_patch_output_size(image, best)
    resized = hf_resize(image, (new_height, new_width), resample)
    # _pad_for_patching: _get_padding_size(new_resolution, target) with divmod, constant 0 on uint8
    nh, nw = get_patch_output_size(resized, best)
    paste_x, r_x = divmod(best[1] - nw, 2)
    paste_y, r_y = divmod(best[0] - nh, 2)
    padded = np.pad(resized, ((paste_y, paste_y + r_y), (paste_x, paste_x + r_x), (0, 0)), mode='constant', constant_values=0)
    # divide_to_patches
    patches = []
    for i in range(0, padded.shape[0], patch_size):
        for j in range(0, padded.shape[1], patch_size):
            patches.append(padded[i:i + patch_size, j:j + patch_size])
    side = size['shortest_edge'] if 'shortest_edge' in size else min(size['height'], size['width'])
    base = hf_resize(image, (side, side), resample)
    views = [clip_steps(v, cfg) for v in [base] + patches]
    grid = [len(range(0, padded.shape[0], patch_size)), len(range(0, padded.shape[1], patch_size))]
    return np.array([to_chw(v) for v in views]), {'image_sizes': list(image.shape[:2]), 'best': list(best), 'grid': grid}


def qwen2_vl_preprocess(image, cfg):
    """Qwen2VLImageProcessor._preprocess for one HWC uint8 image."""
    patch_size = cfg.get('patch_size', 14)
    merge_size = cfg.get('merge_size', 2)
    temporal_patch_size = cfg.get('temporal_patch_size', 2)
    size = dict(cfg.get('size') or {'shortest_edge': 56 * 56, 'longest_edge': 28 * 28 * 1280})
    if cfg.get('min_pixels') is not None:
        size['shortest_edge'] = cfg['min_pixels']
    if cfg.get('max_pixels') is not None:
        size['longest_edge'] = cfg['max_pixels']
    height, width = image.shape[:2]
    resized_height, resized_width = smart_resize(height, width, factor=patch_size * merge_size,
                                                 min_pixels=size['shortest_edge'], max_pixels=size['longest_edge'])
    image = hf_resize(image, (resized_height, resized_width), cfg.get('resample', BICUBIC))
    if cfg.get('do_rescale', True):
        image = rescale(image, cfg.get('rescale_factor', 1 / 255))
    if cfg.get('do_normalize', True):
        image = normalize(image, cfg.get('image_mean', OPENAI_CLIP_MEAN), cfg.get('image_std', OPENAI_CLIP_STD))
    patches = np.array([to_chw(image)])
    if patches.shape[0] % temporal_patch_size != 0:
        repeats = np.repeat(patches[-1][np.newaxis], temporal_patch_size - 1, axis=0)
        patches = np.concatenate([patches, repeats], axis=0)
    channel = patches.shape[1]
    grid_t = patches.shape[0] // temporal_patch_size
    grid_h, grid_w = resized_height // patch_size, resized_width // patch_size
    patches = patches.reshape(grid_t, temporal_patch_size, channel, grid_h // merge_size, merge_size, patch_size,
                              grid_w // merge_size, merge_size, patch_size)
    patches = patches.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    flat = patches.reshape(grid_t * grid_h * grid_w, channel * temporal_patch_size * patch_size * patch_size)
    return flat, {'image_grid_thw': [grid_t, grid_h, grid_w]}


def load_config(rel):
    with open(os.path.join(HERE, '..', '..', '..', rel)) as f:
        return json.load(f)


CONFIGS = {
    'llava-1.5-7b-hf': load_config('backbone-llava/test/fixtures/llava-1.5-7b-hf/preprocessor_config.json'),
    'llava-v1.6-mistral-7b-hf': load_config('backbone-llava/test/fixtures/llava-v1.6-mistral-7b-hf/preprocessor_config.json'),
    'Qwen2-VL-7B-Instruct': load_config('backbone-qwen-vl/test/fixtures/Qwen2-VL-7B-Instruct/preprocessor_config.json'),
    'Qwen2.5-VL-7B-Instruct': load_config('backbone-qwen-vl/test/fixtures/Qwen2.5-VL-7B-Instruct/preprocessor_config.json'),
    # Synthetic settings that reach the other branches of the code.
    'clip-small-pad': {'image_processor_type': 'CLIPImageProcessor', 'size': {'shortest_edge': 20}, 'crop_size': {'height': 25, 'width': 23}},
    'clip-odd-crop': {'image_processor_type': 'CLIPImageProcessor', 'size': 31, 'crop_size': {'height': 29, 'width': 30}, 'do_normalize': False},
    'clip-height-width': {'image_processor_type': 'CLIPImageProcessor', 'size': {'height': 40, 'width': 50}, 'crop_size': 36, 'do_rescale': False,
                          'image_mean': [120.5, 110.25, 100.0], 'image_std': [60.0, 59.5, 61.25]},
    'llava-pad': {'image_processor_type': 'LlavaImageProcessor', 'do_pad': True, 'size': {'shortest_edge': 28}, 'crop_size': 28},
    'llava-next-small': {'image_processor_type': 'LlavaNextImageProcessor', 'size': {'shortest_edge': 28}, 'crop_size': 28,
                         'image_grid_pinpoints': [[28, 56], [56, 28], [56, 56], [84, 28], [28, 84], [42, 70]]},
    'qwen-small': {'image_processor_type': 'Qwen2VLImageProcessor', 'min_pixels': 3136, 'max_pixels': 28 * 28 * 16, 'image_mean': [0.5, 0.5, 0.5],
                   'image_std': [0.5, 0.5, 0.5]},
    'qwen-t3': {'image_processor_type': 'Qwen2VLImageProcessor', 'min_pixels': 3136, 'max_pixels': 28 * 28 * 12, 'temporal_patch_size': 3,
                'patch_size': 7, 'merge_size': 3},
}


def run_processor(image, cfg):
    t = cfg['image_processor_type']
    if t in ('CLIPImageProcessor', 'LlavaImageProcessor'):
        return clip_preprocess(image, cfg), {}
    if t == 'LlavaNextImageProcessor':
        return llava_next_preprocess(image, cfg)
    if t == 'Qwen2VLImageProcessor':
        return qwen2_vl_preprocess(image, cfg)
    raise ValueError(t)


def entry(source, config_name, image):
    out, extra = run_processor(image, CONFIGS[config_name])
    assert out.dtype == np.float32, out.dtype
    return {'source': source, 'config': config_name, 'shape': list(out.shape), 'sha256': sha(out.astype('<f4')),
            'samples': samples_f32(out), **extra}


SYNTHETIC_SIZES = [(45, 70), (70, 45), (13, 9), (200, 3), (3, 120), (57, 57), (101, 64)]
REAL_CONFIGS = ['llava-1.5-7b-hf', 'llava-v1.6-mistral-7b-hf', 'Qwen2.5-VL-7B-Instruct']
SMALL_CONFIGS = ['clip-small-pad', 'clip-odd-crop', 'clip-height-width', 'llava-pad', 'llava-next-small', 'qwen-small', 'qwen-t3']


def make_processors(photos):
    cases = []
    for n, (w, h) in enumerate(SYNTHETIC_SIZES):
        img = synthetic(w, h, 500 + n, 'smooth')
        for name in REAL_CONFIGS + ['Qwen2-VL-7B-Instruct'] + SMALL_CONFIGS:
            try:
                cases.append(entry({'synthetic': [w, h, 500 + n, 'smooth']}, name, img))
            except ValueError as e:  # e.g. smart_resize refusing an aspect ratio over 200
                cases.append({'source': {'synthetic': [w, h, 500 + n, 'smooth']}, 'config': name, 'error': str(e)})
    for p in photos:
        img = load_image(os.path.join(SHARED, p['file']))
        for name in REAL_CONFIGS:
            cases.append(entry({'photo': p['file']}, name, img))
    write('processors.json', {'pillow': PIL.__version__, 'numpy': np.__version__, 'configs': CONFIGS, 'cases': cases})


if __name__ == '__main__':
    make_resize()
    make_convert()
    make_smart_resize()
    photos = make_decode()
    make_processors(photos)
    print(f'goldens written with Pillow {PIL.__version__}, NumPy {np.__version__}; {len(photos)} shared photos')
