/**
 * Drawing a selection: a grid of cells over the photo (kept cells highlighted, the rest dimmed,
 * the pick order on hover or focus) and the captured-energy curve as a small SVG plot.
 */

/** The selection shown on the grid. */
export interface GridSelection {
  readonly n: number;
  /** Kept indices, ascending. */
  readonly kept: Int32Array;
  /** Picks in order. */
  readonly order: Int32Array;
  readonly scores: Float64Array;
  readonly energy: Float64Array;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function ordinal(k: number): string {
  const tens = k % 100;
  if (tens >= 11 && tens <= 13) return `${k}th`;
  return `${k}${['th', 'st', 'nd', 'rd'][k % 10] ?? 'th'}`;
}

function formatScore(s: number): string {
  if (s === 0) return '0';
  const a = Math.abs(s);
  return a >= 1e4 || a < 1e-2 ? s.toExponential(2) : s.toPrecision(3);
}

/**
 * The token grid over the photo. Cells are real DOM elements (`.cell`, `.cell.kept`), so the page
 * can be inspected and tested; one pointer handler and one key handler serve all of them.
 */
export class TokenGridView {
  readonly #root: HTMLElement;
  readonly #info: HTMLElement;
  readonly #tip: HTMLElement;
  #rows = 0;
  #cols = 0;
  #cells: HTMLElement[] = [];
  #rank = new Int32Array(0); // pick rank (0-based) of each token, -1 when dropped
  #selection: GridSelection | undefined;
  #cursor = -1;
  #marked = new Set<number>();
  /** Called with a token index when a cell is clicked, or Enter / Space is pressed on it. */
  onActivate: ((index: number) => void) | undefined;

  /**
   * @param root - the element laid over the photo (gets the cells)
   * @param info - a polite live region that describes the hovered / focused token
   * @param tip - a floating tooltip near the pointer
   */
  constructor(root: HTMLElement, info: HTMLElement, tip: HTMLElement) {
    this.#root = root;
    this.#info = info;
    this.#tip = tip;
    root.addEventListener('click', (e) => {
      const i = this.#cellAt(e);
      if (i >= 0) this.onActivate?.(i);
    });
    root.addEventListener('pointermove', (e) => this.#hover(e));
    root.addEventListener('pointerleave', () => {
      this.#tip.hidden = true;
      this.#setCursor(-1, false);
    });
    root.addEventListener('keydown', (e) => this.#key(e));
    root.addEventListener('focus', () => {
      if (this.#cursor < 0 && this.#cells.length > 0) this.#setCursor(this.#selection?.order[0] ?? 0, true);
    });
    root.addEventListener('blur', () => this.#setCursor(-1, false));
  }

  /** Lays out `rows × cols` empty cells (kept when there is no selection yet). */
  setGrid(rows: number, cols: number): void {
    if (rows === this.#rows && cols === this.#cols) return;
    this.#rows = rows;
    this.#cols = cols;
    this.#root.style.setProperty('--rows', String(rows));
    this.#root.style.setProperty('--cols', String(cols));
    this.#root.dataset['rows'] = String(rows);
    this.#root.dataset['cols'] = String(cols);
    const frag = document.createDocumentFragment();
    this.#cells = [];
    for (let i = 0; i < rows * cols; i++) {
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.dataset['index'] = String(i);
      this.#cells.push(cell);
      frag.append(cell);
    }
    this.#root.replaceChildren(frag);
    this.#rank = new Int32Array(rows * cols).fill(-1);
    this.#selection = undefined;
    this.#cursor = -1;
    this.#marked = new Set();
    this.#root.dataset['kept'] = '0';
  }

  /** Shows a selection: kept cells highlighted with their pick rank, the rest dimmed. */
  show(sel: GridSelection, showNumbers: boolean): void {
    if (sel.n !== this.#cells.length) throw new Error(`grid has ${this.#cells.length} cells, selection has ${sel.n} tokens`);
    this.#selection = sel;
    this.#rank.fill(-1);
    sel.order.forEach((token, rank) => (this.#rank[token] = rank));
    const k = sel.order.length;
    for (let i = 0; i < this.#cells.length; i++) {
      const cell = this.#cells[i]!;
      const rank = this.#rank[i]!;
      const kept = rank >= 0;
      cell.classList.toggle('kept', kept);
      if (kept) {
        cell.dataset['rank'] = String(rank + 1);
        // earlier picks get a stronger outline
        cell.style.setProperty('--pick', (1 - rank / Math.max(1, k)).toFixed(3));
        cell.textContent = showNumbers ? String(rank + 1) : '';
      } else {
        delete cell.dataset['rank'];
        cell.style.removeProperty('--pick');
        cell.textContent = '';
      }
    }
    this.#root.dataset['kept'] = String(k);
    this.#root.classList.toggle('numbers', showNumbers);
    this.#root.setAttribute('aria-label', `Token grid, ${this.#rows} by ${this.#cols}: ${k} of ${sel.n} tokens kept. Use the arrow keys to inspect tokens.`);
    if (this.#cursor >= 0) this.#describe(this.#cursor);
  }

  /** Clears the highlight (while a new token set loads). */
  clear(): void {
    this.#selection = undefined;
    this.#rank.fill(-1);
    for (const cell of this.#cells) {
      cell.classList.remove('kept');
      cell.textContent = '';
    }
    this.#root.dataset['kept'] = '0';
  }

  /** Marks cells (`.cell.query`): the tokens used as query vectors. */
  setMarked(indices: Iterable<number>): void {
    for (const i of this.#marked) this.#cells[i]?.classList.remove('query');
    this.#marked = new Set(indices);
    for (const i of this.#marked) this.#cells[i]?.classList.add('query');
    this.#root.dataset['queries'] = String(this.#marked.size);
  }

  /** A sentence about token `i`: where it is and whether / when it was picked. */
  describe(i: number): string {
    const r = Math.floor(i / this.#cols);
    const c = i % this.#cols;
    const where = `Token ${i} (row ${r + 1}, column ${c + 1})${this.#marked.has(i) ? ', a query token' : ''}`;
    const sel = this.#selection;
    if (sel === undefined) return where;
    const rank = this.#rank[i]!;
    if (rank < 0) return `${where}: dropped`;
    return `${where}: kept, picked ${ordinal(rank + 1)} of ${sel.order.length}, score ${formatScore(sel.scores[rank]!)}, captured energy after it ${(100 * sel.energy[rank]!).toFixed(1)} %`;
  }

  #describe(i: number): void {
    this.#info.textContent = i < 0 ? '' : this.describe(i);
  }

  #setCursor(i: number, fromKeyboard: boolean): void {
    if (this.#cursor >= 0) this.#cells[this.#cursor]?.classList.remove('cursor');
    this.#cursor = i;
    if (i >= 0) this.#cells[i]?.classList.add('cursor');
    if (fromKeyboard || i < 0) this.#describe(i);
  }

  /** The token under a pointer event, or -1. */
  #cellAt(e: MouseEvent): number {
    const box = this.#root.getBoundingClientRect();
    if (this.#cells.length === 0 || box.width === 0 || box.height === 0) return -1;
    const c = Math.min(this.#cols - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * this.#cols)));
    const r = Math.min(this.#rows - 1, Math.max(0, Math.floor(((e.clientY - box.top) / box.height) * this.#rows)));
    return r * this.#cols + c;
  }

  #hover(e: PointerEvent): void {
    const box = this.#root.getBoundingClientRect();
    const i = this.#cellAt(e);
    if (i < 0) return;
    this.#setCursor(i, false);
    this.#describe(i);
    const rank = this.#rank[i] ?? -1;
    this.#tip.textContent = rank >= 0 ? `#${rank + 1}` : this.#selection === undefined ? `token ${i}` : 'dropped';
    this.#tip.hidden = false;
    this.#tip.style.left = `${e.clientX - box.left + 12}px`;
    this.#tip.style.top = `${e.clientY - box.top + 12}px`;
  }

  #key(e: KeyboardEvent): void {
    if (this.#cells.length === 0) return;
    let i = this.#cursor < 0 ? 0 : this.#cursor;
    const r = Math.floor(i / this.#cols);
    const c = i % this.#cols;
    switch (e.key) {
      case 'ArrowLeft': i = r * this.#cols + Math.max(0, c - 1); break;
      case 'ArrowRight': i = r * this.#cols + Math.min(this.#cols - 1, c + 1); break;
      case 'ArrowUp': i = Math.max(0, r - 1) * this.#cols + c; break;
      case 'ArrowDown': i = Math.min(this.#rows - 1, r + 1) * this.#cols + c; break;
      case 'Home': i = r * this.#cols; break;
      case 'End': i = r * this.#cols + this.#cols - 1; break;
      case 'PageUp': i = c; break;
      case 'PageDown': i = (this.#rows - 1) * this.#cols + c; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        if (this.#cursor >= 0) this.onActivate?.(this.#cursor);
        return;
      default: return;
    }
    e.preventDefault();
    this.#setCursor(i, true);
  }
}

/**
 * Draws the captured-energy curve: after t picks, the fraction of the (weighted) token energy in
 * the span of the picks.
 *
 * @param svg - the `<svg>` to draw into (its viewBox is set here)
 * @param energy - `[K]` curve values in [0, 1]
 * @param target - the energy budget τ, drawn as a dashed line, when the budget is an energy one
 */
export function drawEnergy(svg: SVGSVGElement, energy: Float64Array, target: number | undefined): void {
  const W = 320;
  const H = 140;
  const left = 34;
  const right = 8;
  const top = 8;
  const bottom = 26;
  const w = W - left - right;
  const h = H - top - bottom;
  const k = energy.length;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const el = (name: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
    const e = document.createElementNS(SVG_NS, name);
    for (const [key, v] of Object.entries(attrs)) e.setAttribute(key, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const x = (t: number): number => left + (k <= 1 ? w : (t / k) * w);
  const y = (v: number): number => top + (1 - Math.min(1, Math.max(0, v))) * h;
  const parts: SVGElement[] = [];
  for (const v of [0, 0.5, 1]) {
    parts.push(el('line', { x1: left, x2: left + w, y1: y(v), y2: y(v), class: 'grid-line' }));
    parts.push(el('text', { x: left - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'tick' }, `${v * 100}%`));
  }
  parts.push(el('text', { x: left, y: H - 6, class: 'tick' }, '0'));
  parts.push(el('text', { x: left + w, y: H - 6, 'text-anchor': 'end', class: 'tick' }, `${k} picks`));
  if (target !== undefined) parts.push(el('line', { x1: left, x2: left + w, y1: y(target), y2: y(target), class: 'target' }));
  if (k > 0) {
    const pts = [`${x(0)},${y(0)}`];
    for (let t = 0; t < k; t++) pts.push(`${x(t + 1).toFixed(2)},${y(energy[t]!).toFixed(2)}`);
    parts.push(el('polyline', { points: pts.join(' '), class: 'curve' }));
    const last = energy[k - 1]!;
    parts.push(el('circle', { cx: x(k), cy: y(last), r: 3, class: 'end' }));
  }
  svg.replaceChildren(...parts);
}
