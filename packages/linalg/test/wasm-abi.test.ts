import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { CONTROL_BYTES, Slot, SyncWord } from '../src/fast/control.js';

/**
 * The control-block ABI between the TypeScript engine (src/fast/control.ts) and the AssemblyScript
 * kernel (assembly/greedy.ts): read the kernel's constants from its source and compare them with
 * the TypeScript ones, so a slot renumbered on one side only fails here instead of corrupting a run.
 */
const source = readFileSync(new URL('../assembly/greedy.ts', import.meta.url), 'utf8');

/** `const S_NAME = 12;` → { NAME: 12 } (and the same for B_ byte offsets). */
function constants(prefix: 'S_' | 'B_'): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^const ${prefix}([A-Z0-9_]+)(?::\\s*\\w+)?\\s*=\\s*(\\d+)\\s*;`, 'gm');
  for (const m of source.matchAll(re)) out[m[1]!] = Number(m[2]);
  return out;
}

describe.runIf(inject('tfBackend') === 'cpu')('WebAssembly kernel ABI', () => {
  it('every control slot the engine uses has the same number in assembly/greedy.ts', () => {
    const kernel = constants('S_');
    expect(Object.keys(kernel).length).toBeGreaterThan(40); // the parse found the block
    for (const [name, slot] of Object.entries(Slot)) expect(kernel[name], `Slot.${name}`).toBe(slot);
    // No two kernel slots share a number (a copy-paste slip on the kernel side).
    const numbers = Object.values(kernel);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('the barrier words and the control-block size agree', () => {
    const words = constants('B_');
    for (const [name, offset] of Object.entries(SyncWord)) expect(words[name], `SyncWord.${name}`).toBe(offset);
    expect(source).toMatch(new RegExp(`^export const CONTROL_BYTES: i32 = ${CONTROL_BYTES};`, 'm'));
  });

  it('a renumbered slot would be caught', () => {
    const kernel = constants('S_');
    const tampered: Record<string, number> = { ...kernel, GUARD: kernel['GUARD']! + 1 };
    expect(Object.entries(Slot).filter(([name, slot]) => tampered[name] !== slot).map(([name]) => name)).toEqual(['GUARD']);
  });
});
