import { ResPruneError } from '@resprune/errors';

/** A pattern as written in tokenizer.json: a literal string or an Oniguruma-style regex. */
export type JsonPattern = { readonly String: string } | { readonly Regex: string };

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/'.split(''));

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function caseBoth(ch: string): string {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  return lower === upper ? ch : `[${lower}${upper}]`;
}

/**
 * Rewrites a regex written for the Rust `tokenizers` library (Oniguruma syntax) into an
 * equivalent JavaScript `u`-mode source:
 * - scoped case-insensitive groups `(?i:...)` become non-capturing groups whose letters match both
 *   cases (`'s` becomes `'[sS]`), since Node 20 has no regex modifiers;
 * - `\x{HHHH}` becomes `\u{HHHH}`;
 * - possessive quantifiers (`a++`, `a*+`, `a?+`) and atomic groups `(?>...)` become their greedy
 *   forms (the patterns used by LLM tokenizers match the same pieces either way);
 * - identity escapes that `u` mode rejects (`\'`, `\"`, `\ `) become plain characters.
 *
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` for a character class inside a `(?i:...)` group
 */
export function translateRegex(source: string): string {
  let out = '';
  const groups: boolean[] = []; // true: this open group is case-insensitive
  let inClass = false;
  let lastWasQuantifier = false;
  const insensitive = (): boolean => groups.some((g) => g);
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined) {
        out += '\\\\';
        break;
      }
      if (next === 'p' || next === 'P') {
        const close = source.indexOf('}', i);
        if (source[i + 2] === '{' && close > 0) {
          out += source.slice(i, close + 1);
          i = close;
        } else {
          out += source.slice(i, i + 2);
          i += 1;
        }
      } else if (next === 'x' && source[i + 2] === '{') {
        const close = source.indexOf('}', i);
        out += `\\u{${source.slice(i + 3, close)}}`;
        i = close;
      } else if (/[A-Za-z0-9]/.test(next) || SYNTAX_CHARS.has(next) || (inClass && next === '-')) {
        out += '\\' + next;
        i += 1;
      } else {
        out += inClass ? next : escapeLiteral(next);
        i += 1;
      }
      lastWasQuantifier = false;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      if (insensitive()) {
        throw new ResPruneError(
          'E_TOKENIZER',
          `tokenizer.json: a character class inside a case-insensitive group (?i:...) is not supported, in pattern ${JSON.stringify(source)}.`,
        );
      }
      inClass = true;
      out += ch;
      lastWasQuantifier = false;
      continue;
    }
    if (ch === '(') {
      if (source.startsWith('(?i:', i)) {
        groups.push(true);
        out += '(?:';
        i += 3;
      } else if (source.startsWith('(?>', i)) {
        groups.push(false);
        out += '(?:';
        i += 2;
      } else {
        groups.push(false);
        out += ch;
      }
      lastWasQuantifier = false;
      continue;
    }
    if (ch === ')') {
      groups.pop();
      out += ch;
      lastWasQuantifier = false;
      continue;
    }
    if (ch === '+' && lastWasQuantifier) {
      lastWasQuantifier = false; // possessive marker: drop it
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?' || ch === '}') {
      // `?` right after `(` is group syntax, handled above; here it is a quantifier.
      out += ch;
      lastWasQuantifier = true;
      continue;
    }
    out += insensitive() ? caseBoth(ch) : ch;
    lastWasQuantifier = false;
  }
  return out;
}

/**
 * Compiles a tokenizer.json pattern into a global, Unicode-aware JavaScript RegExp.
 *
 * @throws {@link @resprune/errors!ResPruneError} `E_TOKENIZER` when the pattern is malformed or uses syntax
 *   JavaScript cannot express
 */
export function compilePattern(pattern: unknown, where: string): RegExp {
  if (typeof pattern === 'object' && pattern !== null) {
    const p = pattern as Record<string, unknown>;
    if (typeof p['String'] === 'string') return new RegExp(escapeLiteral(p['String']), 'gu');
    if (typeof p['Regex'] === 'string') {
      const source = p['Regex'];
      try {
        return new RegExp(translateRegex(source), 'gu');
      } catch (cause) {
        if (cause instanceof ResPruneError) throw cause;
        throw new ResPruneError(
          'E_TOKENIZER',
          `tokenizer.json: ${where} has a regex JavaScript cannot compile: ${JSON.stringify(source)}.`,
          { cause },
        );
      }
    }
  }
  throw new ResPruneError(
    'E_TOKENIZER',
    `tokenizer.json: ${where} must be {"String": ...} or {"Regex": ...}, got ${JSON.stringify(pattern)}.`,
  );
}
