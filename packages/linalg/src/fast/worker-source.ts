/**
 * Source of the helper threads, kept inline so it works from `dist`, from TypeScript sources under
 * a test runner and inside bundles alike (Node: `new Worker(code, { eval: true })`; browsers: a
 * Blob URL). A thread receives the compiled kernel and the shared memory once, then runs
 * `run(ctl, tid)` for each selection. When the kernel traps it raises the abort word, so the
 * calling thread's barrier returns instead of spinning.
 * @internal
 */
const BODY = `
let ex = null;
let mem = null;
function handle(m, reply) {
  if (m.type === 'init') {
    mem = m.memory;
    WebAssembly.instantiate(m.module, { env: { memory: m.memory } }).then(
      (inst) => { ex = inst.exports; reply({ type: 'ready' }); },
      (e) => reply({ type: 'error', message: String(e && e.message || e) }),
    );
  } else if (m.type === 'run') {
    try {
      ex.run(m.ctl, m.tid);
    } catch (e) {
      Atomics.store(new Int32Array(mem.buffer), (m.ctl + ${640}) >> 2, 1);
      reply({ type: 'error', message: String(e && e.message || e) });
    }
  }
}
`;

/**
 * Worker code for Node's worker_threads (`eval: true`). The code runs as CommonJS, or as an ES module
 * when the parent was started with `--input-type=module` (workers inherit it).
 * @internal
 */
export const NODE_WORKER_SOURCE = `${BODY}
const { parentPort } = typeof require === 'function' ? require('node:worker_threads') : process.getBuiltinModule('node:worker_threads');
parentPort.on('message', (m) => handle(m, (r) => parentPort.postMessage(r)));
`;

/** Worker code for a browser Web Worker (loaded from a Blob URL). @internal */
export const WEB_WORKER_SOURCE = `${BODY}
self.onmessage = (e) => handle(e.data, (r) => self.postMessage(r));
`;
