/**
 * The ResPrune.js web demo: pick a photo (or load your own LVLM tokens), pick a method and a
 * budget, and see which visual tokens are kept. MobileNetV2 runs in one worker, the selection in
 * another; this thread only decodes files and draws.
 */
import './style.css';
import { ResPruneError, isResPruneError } from '@resprune/errors';
import { EXAMPLE_PHOTOS, LICENSES_PATH } from 'virtual:example-photos';
import { FeaturesClient, SelectClient, type PhotoFeatures, type SelectionOutcome, type SelectionParams } from './clients.js';
import { decodePhoto, releasePhoto, type DecodedPhoto } from './decode.js';
import { FEATURE_BACKENDS, type Budget, type FeatureBackend, type MethodInfo, type SelectEngineInfo, type WireError } from './protocol.js';
import { TokenGridView, drawEnergy } from './render.js';
import { checkGrid, checkText, guessGrid, looksLikeNpy, readTokenMatrix, type TokenMatrix } from './token-files.js';

// ---- elements ----------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

const ui = {
  status: $('status'),
  progress: $<HTMLProgressElement>('load-progress'),
  error: $('error'),
  errorText: $('error-text'),
  errorDismiss: $<HTMLButtonElement>('error-dismiss'),
  dropZone: $('drop-zone'),
  fileInput: $<HTMLInputElement>('file-input'),
  examples: $('examples'),
  examplesLicence: $('examples-licence'),
  npyPanel: $<HTMLDetailsElement>('npy-panel'),
  npyVisual: $<HTMLInputElement>('npy-visual'),
  npyText: $<HTMLInputElement>('npy-text'),
  npyInfo: $('npy-info'),
  npyClearText: $<HTMLButtonElement>('npy-clear-text'),
  gridRows: $<HTMLInputElement>('grid-rows'),
  gridCols: $<HTMLInputElement>('grid-cols'),
  useMobileNet: $<HTMLButtonElement>('use-mobilenet'),
  backend: $<HTMLSelectElement>('backend'),
  controls: $<HTMLFormElement>('controls'),
  method: $<HTMLSelectElement>('method'),
  methodDescription: $('method-description'),
  budgetLabel: $('budget-label'),
  budgetRange: $<HTMLInputElement>('budget-range'),
  budgetValue: $<HTMLInputElement>('budget-value'),
  alphaRange: $<HTMLInputElement>('alpha-range'),
  alphaValue: $<HTMLInputElement>('alpha-value'),
  textSource: $('text-source'),
  queryMode: $<HTMLInputElement>('query-mode'),
  queryClear: $<HTMLButtonElement>('query-clear'),
  normalize: $<HTMLSelectElement>('normalize'),
  showNumbers: $<HTMLInputElement>('show-numbers'),
  stage: $('stage'),
  photo: $<HTMLImageElement>('photo'),
  grid: $('grid'),
  tip: $('tip'),
  stageBusy: $('stage-busy'),
  stageBusyText: $('stage-busy-text'),
  selectBusy: $('select-busy'),
  selectBusyText: $('select-busy-text'),
  selectCancel: $<HTMLButtonElement>('select-cancel'),
  tokenInfo: $('token-info'),
  summary: $('summary'),
  energyPlot: document.getElementById('energy-plot') as unknown as SVGSVGElement,
  timeSelect: $('time-select'),
  selectEngine: $('select-engine'),
  timeExtract: $('time-extract'),
  timeLoad: $('time-load'),
};

// ---- state -------------------------------------------------------------------------------------

type BudgetKind = 'keep' | 'ratio' | 'energy';

/** The token set on screen: where it came from and its grid. */
interface ActiveTokens {
  readonly dataset: number;
  readonly source: 'mobilenet' | 'npy';
  readonly label: string;
  readonly n: number;
  readonly d: number;
  readonly rows: number;
  readonly cols: number;
  readonly hasText: boolean;
}

const state: {
  photo: DecodedPhoto | undefined;
  source: 'mobilenet' | 'npy';
  features: Map<string, PhotoFeatures>; // by photo key, so switching back costs nothing
  npyVisual: TokenMatrix | undefined;
  npyText: TokenMatrix | undefined;
  active: ActiveTokens | undefined;
  activeVisual: Float32Array | undefined;
  fileText: TokenMatrix | undefined; // text vectors from a file, for the active .npy tokens
  query: number[]; // tokens picked on the photo as query vectors, in click order
  methods: readonly MethodInfo[];
  lastOutcome: SelectionOutcome | undefined;
  photoSeq: number;
  budgetMemory: Record<BudgetKind, number>;
} = {
  photo: undefined,
  source: 'mobilenet',
  features: new Map(),
  npyVisual: undefined,
  npyText: undefined,
  active: undefined,
  activeVisual: undefined,
  fileText: undefined,
  query: [],
  methods: [],
  lastOutcome: undefined,
  photoSeq: 0,
  budgetMemory: { keep: 128, ratio: 0.25, energy: 0.9 },
};

const gridView = new TokenGridView(ui.grid, ui.tokenInfo, ui.tip);
/** Selection errors (a budget the selector rejects) clear with the next good result; file errors stay until replaced. */
let errorFromSelection = false;

// ---- messages ----------------------------------------------------------------------------------

function showError(error: unknown): void {
  let text: string;
  if (isResPruneError(error)) text = `${error.code}: ${error.message}`;
  else if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    text = typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  } else text = String(error);
  ui.errorText.textContent = text;
  ui.error.hidden = false;
}

function showWireError(error: WireError): void {
  showError(Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code }));
}

function clearError(): void {
  ui.error.hidden = true;
  ui.errorText.textContent = '';
}

function setBusy(text: string | undefined): void {
  ui.stageBusy.hidden = text === undefined;
  ui.stageBusyText.textContent = text ?? '';
  ui.stage.setAttribute('aria-busy', String(text !== undefined));
}

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

// ---- workers -----------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
const backendParam = params.get('backend') ?? 'auto';
const backendRequest: FeatureBackend = (FEATURE_BACKENDS as readonly string[]).includes(backendParam) ? (backendParam as FeatureBackend) : 'auto';
ui.backend.value = backendRequest;

const selector = new SelectClient({
  onResult: (outcome) => showOutcome(outcome),
  onError: (error, params) => {
    showWireError(error);
    errorFromSelection = true;
    ui.timeSelect.textContent = `failed${params === undefined ? '' : ` (${methodLabel(params.method)})`}: see the message above`;
  },
  onBusy: (busy) => {
    ui.stage.classList.toggle('selecting', busy);
    if (busy) ui.timeSelect.textContent = 'selecting…';
    // A selection that takes a while gets a visible note and a Cancel button.
    clearTimeout(slowTimer);
    if (busy) {
      slowTimer = setTimeout(() => {
        ui.selectBusyText.textContent = `Still selecting with ${methodLabel(ui.method.value)}…`;
        ui.selectBusy.hidden = false;
      }, 400);
    } else ui.selectBusy.hidden = true;
  },
});
let slowTimer: ReturnType<typeof setTimeout> | undefined;
ui.selectCancel.addEventListener('click', () => {
  selector.cancel();
  ui.timeSelect.textContent = 'cancelled; change a setting to select again';
});

const features = new FeaturesClient(backendRequest, (fraction, message) => {
  ui.progress.value = fraction;
  setStatus(`Loading MobileNetV2: ${message}`);
});
features.ready.then(
  (r) => {
    ui.progress.hidden = true;
    const wasm = r.backend === 'wasm' ? ` (${r.simd === true ? 'SIMD, ' : ''}${r.threads === 1 ? 'single-threaded' : `${r.threads} threads`})` : '';
    setStatus(`MobileNetV2 ready on TensorFlow.js ${r.backend}${wasm}.`);
    ui.timeLoad.textContent = `MobileNetV2 on ${r.backend}${wasm}, loaded in ${seconds(r.loadMs)}${r.skipped.length > 0 ? `; passed over: ${r.skipped.join('; ')}` : ''}`;
    document.body.dataset['backend'] = r.backend;
  },
  (error: unknown) => {
    ui.progress.hidden = true;
    setStatus('MobileNetV2 could not be loaded; you can still inspect your own .npy tokens.');
    showError(error);
  },
);

/** How the selection engine reads on the page: "WebAssembly SIMD, 2 threads". */
function engineLabel(e: SelectEngineInfo): string {
  const what =
    e.kind === 'wasm-threads' || e.kind === 'wasm'
      ? `WebAssembly SIMD, ${e.threads} thread${e.threads === 1 ? '' : 's'}`
      : e.kind === 'js'
        ? 'plain JavaScript'
        : 'plain JavaScript (TensorFlow.js cpu kernels)';
  return e.note === undefined ? what : `${what} (${e.note})`;
}

selector.ready.then(
  ({ methods: list, engine }) => {
    ui.selectEngine.textContent = engineLabel(engine);
    Object.assign(ui.selectEngine.dataset, { kind: engine.kind, threads: String(engine.threads), isolated: String(engine.crossOriginIsolated) });
    state.methods = list;
    ui.method.replaceChildren(
      ...list.map((m) => {
        const o = document.createElement('option');
        o.value = m.name;
        o.textContent = m.name === 'resprune' ? 'ResPrune' : m.name;
        return o;
      }),
    );
    ui.method.value = list.some((m) => m.name === 'resprune') ? 'resprune' : (list[0]?.name ?? '');
    ui.method.disabled = false;
    describeMethod();
    requestSelection();
  },
  (error: unknown) => showError(error),
);

// ---- controls ----------------------------------------------------------------------------------

function budgetKind(): BudgetKind {
  const checked = ui.controls.querySelector<HTMLInputElement>('input[name="budget-kind"]:checked');
  return (checked?.value ?? 'keep') as BudgetKind;
}

/** Sets the budget slider's range and label for the kind and the token count. */
function configureBudget(kind: BudgetKind, value: number): void {
  const n = state.active?.n ?? 576;
  const set = (min: number, max: number, step: number, label: string): void => {
    for (const el of [ui.budgetRange, ui.budgetValue]) {
      el.min = String(min);
      el.max = String(max);
      el.step = String(step);
    }
    ui.budgetLabel.textContent = label;
  };
  if (kind === 'keep') set(1, n, 1, `Tokens to keep (K, of ${n})`);
  else if (kind === 'ratio') set(0.01, 1, 0.01, 'Fraction of tokens to keep (ratio)');
  else set(0.05, 1, 0.01, 'Captured-energy target (τ)');
  ui.budgetRange.value = String(value);
  ui.budgetValue.value = String(value);
}

function readNumber(input: HTMLInputElement, what: string): number {
  const text = input.value.trim();
  const v = Number(text);
  if (text === '' || !Number.isFinite(v)) throw new ResPruneError('E_INVALID_OPTION', `${what}: enter a number, got "${input.value}"`);
  return v;
}

function currentParams(): SelectionParams {
  const kind = budgetKind();
  const value = readNumber(ui.budgetValue, ui.budgetLabel.textContent ?? 'budget');
  const budget: Budget = kind === 'keep' ? { keep: value } : kind === 'ratio' ? { ratio: value } : { energy: value };
  return {
    method: ui.method.value,
    budget,
    alpha: readNumber(ui.alphaValue, 'α'),
    normalize: ui.normalize.value as SelectionParams['normalize'],
  };
}

function describeMethod(): void {
  const m = state.methods.find((x) => x.name === ui.method.value);
  ui.methodDescription.textContent = m?.description ?? '';
}

function requestSelection(): void {
  if (state.active === undefined || state.methods.length === 0) return;
  let p: SelectionParams;
  try {
    p = currentParams();
  } catch (error) {
    showError(error);
    errorFromSelection = true; // cleared by the next good selection, once the field is fixed
    return;
  }
  selector.request(p);
}

function syncPair(range: HTMLInputElement, value: HTMLInputElement, after: () => void): void {
  range.addEventListener('input', () => {
    value.value = range.value;
    after();
  });
  value.addEventListener('input', () => {
    if (value.value.trim() !== '' && Number.isFinite(Number(value.value))) range.value = value.value;
    after();
  });
}

syncPair(ui.budgetRange, ui.budgetValue, () => {
  state.budgetMemory[budgetKind()] = Number(ui.budgetValue.value);
  requestSelection();
});
syncPair(ui.alphaRange, ui.alphaValue, requestSelection);
for (const radio of ui.controls.querySelectorAll<HTMLInputElement>('input[name="budget-kind"]')) {
  radio.addEventListener('change', () => {
    const kind = budgetKind();
    configureBudget(kind, state.budgetMemory[kind]);
    requestSelection();
  });
}
ui.method.addEventListener('change', () => {
  describeMethod();
  requestSelection();
});
ui.normalize.addEventListener('change', requestSelection);
gridView.onActivate = toggleQuery;
ui.queryMode.addEventListener('change', () => ui.stage.classList.toggle('query-mode', ui.queryMode.checked));
ui.queryClear.addEventListener('click', () => {
  state.query = [];
  pushTokens();
});
ui.showNumbers.addEventListener('change', () => {
  if (state.lastOutcome !== undefined) showOutcome(state.lastOutcome);
});
ui.controls.addEventListener('submit', (e) => e.preventDefault());
ui.errorDismiss.addEventListener('click', clearError);
ui.backend.addEventListener('change', () => {
  const next = new URL(location.href);
  next.searchParams.set('backend', ui.backend.value);
  location.assign(next);
});

// ---- results -----------------------------------------------------------------------------------

function showOutcome(outcome: SelectionOutcome): void {
  const active = state.active;
  if (active === undefined || outcome.dataset !== active.dataset) return; // tokens changed meanwhile
  state.lastOutcome = outcome;
  clearErrorIfFromSelection();
  gridView.show({ n: active.n, kept: outcome.kept, order: outcome.order, scores: outcome.scores, energy: outcome.energy }, ui.showNumbers.checked);
  const k = outcome.kept.length;
  const captured = outcome.energy.length > 0 ? outcome.energy[outcome.energy.length - 1]! : 0;
  const b = outcome.params.budget;
  const budgetText = 'keep' in b ? `keep ${b.keep}` : 'ratio' in b ? `ratio ${b.ratio}` : `energy τ = ${b.energy}`;
  ui.summary.textContent =
    `${methodLabel(outcome.method)} kept ${k} of ${active.n} tokens (${((100 * k) / active.n).toFixed(1)} %, ${budgetText}), ` +
    `captured energy ${(100 * captured).toFixed(1)} %.`;
  shownResults++;
  Object.assign(ui.summary.dataset, { seq: String(shownResults), restarts: String(selector.restarts), kept: String(k), method: outcome.method, n: String(active.n), source: active.source, photo: state.photo?.name ?? '' });
  drawEnergy(ui.energyPlot, outcome.energy, 'energy' in b ? b.energy : undefined);
  ui.timeSelect.textContent = `${seconds(outcome.ms)} (${methodLabel(outcome.method)}, ${active.n} × ${active.d}, in a Web Worker)`;
  ui.stage.dataset['state'] = 'ready';
}

/** How many selections have been shown (`data-seq` on the summary, so a test can wait for a new one). */
let shownResults = 0;

function methodLabel(name: string): string {
  return name === 'resprune' ? 'ResPrune' : name;
}

function clearErrorIfFromSelection(): void {
  if (errorFromSelection) clearError();
  errorFromSelection = false;
}

// ---- token sets --------------------------------------------------------------------------------

function activate(tokens: Omit<ActiveTokens, 'dataset' | 'hasText'>, visual: Float32Array, text: TokenMatrix | undefined): void {
  const previousN = state.active?.n;
  state.activeVisual = visual;
  state.fileText = text;
  state.query = [];
  state.active = { ...tokens, dataset: 0, hasText: false };
  state.lastOutcome = undefined;
  gridView.setGrid(tokens.rows, tokens.cols);
  gridView.clear();
  gridView.setMarked([]);
  ui.stage.dataset['source'] = tokens.source;
  ui.stage.style.setProperty('--aspect', String(aspectOf(tokens)));
  if (previousN !== tokens.n) {
    const kind = budgetKind();
    if (kind === 'keep') state.budgetMemory.keep = Math.min(tokens.n, Math.max(1, Math.round(state.budgetMemory.keep)));
    configureBudget(kind, state.budgetMemory[kind]);
  }
  ui.timeExtract.textContent = tokens.label;
  pushTokens();
}

/**
 * Sends the active tokens with their text vectors to the select worker and asks for a selection.
 * The text vectors are the loaded text file, else the query tokens picked on the photo, else none.
 */
function pushTokens(): void {
  const active = state.active;
  const visual = state.activeVisual;
  if (active === undefined || visual === undefined) return;
  let text: { data: Float32Array; m: number } | undefined;
  let note: string;
  if (state.fileText !== undefined) {
    text = { data: state.fileText.data, m: state.fileText.rows };
    note = `Text vectors: ${state.fileText.name}, M = ${state.fileText.rows}.`;
  } else if (state.query.length > 0) {
    const data = new Float32Array(state.query.length * active.d);
    state.query.forEach((token, row) => data.set(visual.subarray(token * active.d, (token + 1) * active.d), row * active.d));
    text = { data, m: state.query.length };
    note = `Query tokens as text vectors: ${state.query.map((t) => `#${t}`).join(', ')}.`;
  } else {
    note = 'No text vectors: every token has relevance 1, so α changes nothing. Load a text .npy, or pick query tokens on the photo.';
  }
  const dataset = selector.setTokens({ visual, n: active.n, d: active.d, text: text?.data, m: text?.m ?? 0, rows: active.rows, cols: active.cols });
  state.active = { ...active, dataset, hasText: text !== undefined };
  state.lastOutcome = undefined;
  ui.textSource.textContent = note;
  ui.textSource.dataset['m'] = String(text?.m ?? 0);
  ui.queryMode.disabled = state.fileText !== undefined;
  ui.queryClear.disabled = state.query.length === 0;
  gridView.setMarked(state.fileText === undefined ? state.query : []);
  requestSelection();
}

/** Adds or removes a query token (query mode only). */
function toggleQuery(token: number): void {
  if (!ui.queryMode.checked || ui.queryMode.disabled || state.active === undefined) return;
  const at = state.query.indexOf(token);
  if (at >= 0) state.query.splice(at, 1);
  else state.query.push(token);
  pushTokens();
}

function aspectOf(tokens: Omit<ActiveTokens, 'dataset' | 'hasText'>): number {
  if (state.photo !== undefined) return state.photo.width / state.photo.height;
  return tokens.cols / tokens.rows;
}

function photoKey(photo: DecodedPhoto): string {
  return `${photo.name}:${photo.width}x${photo.height}:${photo.rgb.length}`;
}

async function useMobileNetTokens(): Promise<void> {
  const photo = state.photo;
  if (photo === undefined) return;
  state.source = 'mobilenet';
  const key = photoKey(photo);
  let f = state.features.get(key);
  if (f === undefined) {
    const seq = state.photoSeq;
    setBusy(`Extracting visual tokens of ${photo.name}…`);
    ui.stage.dataset['state'] = 'extracting';
    try {
      f = await features.extract(photo.width, photo.height, photo.rgb);
    } catch (error) {
      if (seq === state.photoSeq) {
        setBusy(undefined);
        ui.stage.dataset['state'] = 'error';
        showError(error);
      }
      return;
    }
    state.features.set(key, f);
    if (seq !== state.photoSeq || state.source !== 'mobilenet') return; // a newer photo or source won
    setBusy(undefined);
  }
  const n = f.rows * f.cols;
  activate(
    {
      source: 'mobilenet',
      label: `MobileNetV2 tokens of ${photo.name}: ${f.rows} × ${f.cols} = ${n} tokens, d = ${f.d}, from ${f.size} × ${f.size} px in ${seconds(f.ms)}`,
      n,
      d: f.d,
      rows: f.rows,
      cols: f.cols,
    },
    f.tokens,
    undefined,
  );
}

/** Applies the loaded .npy tokens with the grid in the form; errors are shown, state kept. */
function useNpyTokens(): void {
  const visual = state.npyVisual;
  if (visual === undefined) return;
  const rows = Number(ui.gridRows.value);
  const cols = Number(ui.gridCols.value);
  checkGrid(rows, cols, visual.rows);
  const text = state.npyText;
  if (text !== undefined) checkText(visual, text);
  state.source = 'npy';
  setBusy(undefined);
  activate(
    {
      source: 'npy',
      label: `${visual.name}: ${visual.rows} × ${visual.cols} (${visual.dtype}) on a ${rows} × ${cols} grid${text === undefined ? '' : `; text ${text.name}: ${text.rows} × ${text.cols}`}`,
      n: visual.rows,
      d: visual.cols,
      rows,
      cols,
    },
    visual.data,
    text,
  );
  describeNpy();
}

function describeNpy(): void {
  const v = state.npyVisual;
  const t = state.npyText;
  ui.npyInfo.textContent =
    v === undefined
      ? ''
      : `Loaded ${v.name}: N = ${v.rows} tokens, d = ${v.cols}${t === undefined ? '' : `; ${t.name}: M = ${t.rows} text vectors`}.` +
        (state.source === 'npy' ? ' These tokens are on screen.' : '');
  ui.npyClearText.disabled = t === undefined;
}

async function readFileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

async function loadVisualNpy(file: File, bytes?: Uint8Array): Promise<void> {
  const matrix = readTokenMatrix(file.name, bytes ?? (await readFileBytes(file)), 'visual tokens');
  const aspect = state.photo === undefined ? 1 : state.photo.width / state.photo.height;
  const grid = guessGrid(matrix.rows, aspect);
  state.npyVisual = matrix;
  if (state.npyText !== undefined && state.npyText.cols !== matrix.cols) state.npyText = undefined; // other space
  ui.gridRows.value = String(grid.rows);
  ui.gridCols.value = String(grid.cols);
  ui.npyPanel.open = true;
  clearError();
  useNpyTokens();
}

async function loadTextNpy(file: File): Promise<void> {
  const matrix = readTokenMatrix(file.name, await readFileBytes(file), 'text vectors');
  if (state.npyVisual !== undefined) checkText(state.npyVisual, matrix);
  else throw new ResPruneError('E_INVALID_OPTION', `${file.name}: load the visual tokens first; text vectors condition a set of visual tokens`);
  state.npyText = matrix;
  clearError();
  useNpyTokens();
}

// ---- photos ------------------------------------------------------------------------------------

async function setPhoto(photo: DecodedPhoto): Promise<void> {
  state.photoSeq++;
  const old = state.photo;
  state.photo = photo;
  ui.photo.src = photo.url;
  ui.photo.alt = `${photo.name}, ${photo.width} × ${photo.height} px`;
  ui.stage.dataset['photo'] = photo.name;
  document.body.dataset['photo'] = photo.name;
  releasePhoto(old);
  for (const li of ui.examples.querySelectorAll('button')) li.setAttribute('aria-pressed', String(li.dataset['file'] === photo.name));
  if (state.source === 'mobilenet') await useMobileNetTokens();
  else if (state.active !== undefined) ui.stage.style.setProperty('--aspect', String(photo.width / photo.height));
}

/** Opens any file the visitor gives: a photo, or a .npy of visual tokens. */
async function openFile(file: File): Promise<void> {
  try {
    const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    if (looksLikeNpy(head) || /\.npy$/i.test(file.name)) {
      await loadVisualNpy(file);
      return;
    }
    clearError();
    const photo = await decodePhoto(file.name, file);
    await setPhoto(photo);
  } catch (error) {
    showError(error);
  }
}

async function openExample(file: string, path: string): Promise<void> {
  try {
    const response = await fetch(path);
    if (!response.ok) throw new ResPruneError('E_FILE_NOT_FOUND', `${file}: the example photo could not be fetched (HTTP ${response.status})`);
    clearError();
    await setPhoto(await decodePhoto(file, await response.blob()));
  } catch (error) {
    showError(error);
  }
}

function buildExamples(): void {
  if (EXAMPLE_PHOTOS.length === 0) {
    ui.examplesLicence.textContent = 'This build has no example photos; drop your own.';
    return;
  }
  for (const p of EXAMPLE_PHOTOS) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'example';
    button.dataset['file'] = p.file;
    button.setAttribute('aria-pressed', 'false');
    button.title = `${p.file}: ${p.source}. Licence: ${p.licence}`;
    const img = document.createElement('img');
    img.src = p.path;
    img.alt = '';
    img.loading = 'lazy';
    img.decoding = 'async';
    const label = document.createElement('span');
    label.textContent = p.file;
    const licence = document.createElement('small');
    licence.textContent = p.licence;
    button.append(img, label, licence);
    button.addEventListener('click', () => void openExample(p.file, p.path));
    li.append(button);
    ui.examples.append(li);
  }
  ui.examplesLicence.replaceChildren(
    'Photos from Debian’s scikit-image and darknet packages; sources and licences in ',
    Object.assign(document.createElement('a'), { href: LICENSES_PATH ?? '#', textContent: 'LICENSES.md' }),
    '.',
  );
}

// ---- file inputs and drag and drop -------------------------------------------------------------

ui.fileInput.addEventListener('change', () => {
  const file = ui.fileInput.files?.[0];
  ui.fileInput.value = '';
  if (file !== undefined) void openFile(file);
});
ui.npyVisual.addEventListener('change', () => {
  const file = ui.npyVisual.files?.[0];
  if (file === undefined) return;
  void loadVisualNpy(file).catch((error: unknown) => {
    ui.npyVisual.value = ''; // the tokens on screen are still the last good file's
    showError(error);
  });
});
ui.npyText.addEventListener('change', () => {
  const file = ui.npyText.files?.[0];
  if (file === undefined) return;
  void loadTextNpy(file).catch((error: unknown) => {
    ui.npyText.value = '';
    showError(error);
  });
});
ui.npyClearText.addEventListener('click', () => {
  state.npyText = undefined;
  ui.npyText.value = '';
  if (state.source === 'npy') useNpyTokens();
  describeNpy();
});
for (const input of [ui.gridRows, ui.gridCols]) {
  input.addEventListener('change', () => {
    if (state.npyVisual === undefined) return;
    const active = state.active;
    const sameGrid = active?.source === 'npy' && active.rows === Number(ui.gridRows.value) && active.cols === Number(ui.gridCols.value);
    if (sameGrid && state.activeVisual === state.npyVisual.data) {
      clearError(); // a repeated change event (e.g. on blur): nothing to redo
      return;
    }
    try {
      useNpyTokens();
      clearError();
    } catch (error) {
      showError(error);
    }
  });
}
ui.useMobileNet.addEventListener('click', () => {
  clearError();
  void useMobileNetTokens().then(describeNpy);
});
document.getElementById('npy-form')?.addEventListener('submit', (e) => e.preventDefault());

for (const type of ['dragenter', 'dragover'] as const) {
  ui.dropZone.addEventListener(type, (e) => {
    e.preventDefault();
    ui.dropZone.classList.add('over');
  });
}
for (const type of ['dragleave', 'drop'] as const) {
  ui.dropZone.addEventListener(type, () => ui.dropZone.classList.remove('over'));
}
ui.dropZone.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = e.dataTransfer?.files[0];
  if (file !== undefined) void openFile(file);
});
// A file dropped anywhere else must not navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = e.dataTransfer?.files[0];
  if (file !== undefined) void openFile(file);
});

window.addEventListener('unhandledrejection', (e) => showError(e.reason));

// ---- start -------------------------------------------------------------------------------------

buildExamples();
configureBudget('keep', state.budgetMemory.keep);
const first = EXAMPLE_PHOTOS.find((p) => p.file === 'dog.jpg') ?? EXAMPLE_PHOTOS[0];
if (first !== undefined) void openExample(first.file, first.path);
else setStatus('Drop a photo to start.');
