/**
 * The features worker: loads MobileNetV2 (the same network and weights as the CLI, bundled from
 * the nsfwjs npm package) on the fastest tfjs backend the browser really has, and turns raw RGB
 * pixels into a 24×24 grid of 1280-dimensional visual tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadMobileNetV2, type FeatureExtractor } from '@resprune/mobilenet-features';
// The tfjs wasm binaries ship inside the build (no CDN): Vite emits them and gives their URLs.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import { toWireError, workerScope, type FeatureBackend, type FeaturesRequest, type FeaturesResponse } from './protocol.js';

const scope = workerScope<FeaturesRequest, FeaturesResponse>();
const post = scope.post;

const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** Why a GPU backend should be passed over in `auto` mode, or undefined when it looks like real hardware. */
async function gpuProblem(kind: 'webgpu' | 'webgl'): Promise<string | undefined> {
  if (kind === 'webgpu') {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (gpu === undefined) return 'no navigator.gpu';
    const adapter = (await gpu.requestAdapter().catch(() => null)) as
      | { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } }
      | null;
    if (adapter === null) return 'no WebGPU adapter';
    if (adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return 'software (fallback) WebGPU adapter';
    return undefined;
  }
  if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas in workers';
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (gl === null) return 'no WebGL2';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return SOFTWARE_GL.test(renderer) ? `software renderer (${renderer})` : undefined;
}

async function activate(name: Exclude<FeatureBackend, 'auto'>): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  else if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Single-threaded SIMD (or plain) wasm, with or without cross-origin isolation: tfjs's threaded
    // build starts its pthread workers from the source text of its module factory, which a bundler
    // rewrites ("e is not defined" in every pthread once the page is cross-origin isolated).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      // tfjs wants an entry for every binary; this one is never fetched (threads are off above).
      'tfjs-backend-wasm-threaded-simd.wasm': 'threads-are-disabled.wasm',
    });
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}

/** Activates the requested backend, or in `auto` mode the first of webgpu, webgl, wasm, cpu that works. */
async function chooseBackend(request: FeatureBackend): Promise<{ backend: string; skipped: string[] }> {
  const skipped: string[] = [];
  const order: Exclude<FeatureBackend, 'auto'>[] = request === 'auto' ? ['webgpu', 'webgl', 'wasm', 'cpu'] : [request];
  for (const name of order) {
    if (request === 'auto' && (name === 'webgpu' || name === 'webgl')) {
      const problem = await gpuProblem(name);
      if (problem !== undefined) {
        skipped.push(`${name}: ${problem}`);
        continue;
      }
    }
    try {
      await activate(name);
      return { backend: name, skipped };
    } catch (error) {
      skipped.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw Object.assign(new Error(`no TensorFlow.js backend could be initialised (${skipped.join('; ')})`), { code: 'E_NO_BACKEND' });
}

let net: FeatureExtractor | undefined;
let loading: Promise<FeatureExtractor> | undefined;

async function init(backendRequest: FeatureBackend): Promise<FeatureExtractor> {
  const t0 = performance.now();
  post({ type: 'progress', fraction: 0, message: 'starting TensorFlow.js' });
  const { backend, skipped } = await chooseBackend(backendRequest);
  post({ type: 'progress', fraction: 0.1, message: `TensorFlow.js on ${backend}` });
  const extractor = await loadMobileNetV2({
    onProgress: (p) => post({ type: 'progress', fraction: 0.1 + 0.8 * (p.totalBytes === 0 ? 0 : p.loadedBytes / p.totalBytes), message: p.message }),
  });
  // Warm up at the real size so the first photo does not pay for shader compilation / allocation.
  post({ type: 'progress', fraction: 0.92, message: 'warming up the network' });
  const warm = extractor.extractTensor({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) }, { size: 768 });
  await warm.data();
  warm.dispose();
  let threads = 1;
  let simd: boolean | undefined;
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    threads = wasm.getThreadsCount();
    simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  }
  post({ type: 'ready', backend, skipped, threads, simd, loadMs: performance.now() - t0 });
  return extractor;
}

scope.listen((msg) => {
  if (msg.type === 'init') {
    loading ??= init(msg.backend).then((n) => (net = n));
    loading.catch((error: unknown) => post({ type: 'error', id: undefined, error: toWireError(error) }));
    return;
  }
  void (async () => {
    try {
      if (loading === undefined) throw new Error('the features worker was not initialised');
      const extractor = net ?? (await loading);
      const t0 = performance.now();
      const f = await extractor.extract({ width: msg.width, height: msg.height, data: msg.rgb });
      const ms = performance.now() - t0;
      const tokens = f.tokens.slice(); // own buffer, safe to transfer whatever the backend returned
      post({ type: 'features', id: msg.id, tokens, rows: f.rows, cols: f.cols, d: f.d, size: f.size, ms }, [tokens.buffer]);
    } catch (error) {
      post({ type: 'error', id: msg.id, error: toWireError(error) });
    }
  })();
});
