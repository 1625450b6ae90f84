/**
 * Reads a .gyp/.gypi file with gyp's own grammar: a Python literal (dicts, lists, strings in single,
 * double or triple quotes with adjacent-literal concatenation, numbers, True/False/None) with `#`
 * comments. A regular expression over the raw text would miss a command split across literals
 * ('<!(cu' 'rl …)') or find one inside a comment; this reads what gyp reads.
 */

/** A gyp value: what Python's literal evaluation of the file yields. */
export type GypValue = string | number | boolean | null | GypValue[] | { [key: string]: GypValue };

/** Why a gyp file could not be read. */
export class GypSyntaxError extends Error {}

const MAX_DEPTH = 200;

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new GypSyntaxError(`${what} at offset ${this.pos}`);
  }

  private skip(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '\\' && (this.text[this.pos + 1] === '\n' || this.text[this.pos + 1] === '\r')) {
        this.pos += 2; // an explicit line continuation
      } else return;
    }
  }

  document(): GypValue {
    const value = this.value(0);
    this.skip();
    if (this.pos !== this.text.length) this.fail('text after the top-level value');
    return value;
  }

  private value(depth: number): GypValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    this.skip();
    const c = this.text[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '[' || c === '(') return this.list(depth, c === '[' ? ']' : ')');
    if (
      c === '"' ||
      c === "'" ||
      ((c === 'r' || c === 'R' || c === 'u' || c === 'U' || c === 'b' || c === 'B') &&
        /^[rRuUbB]{1,2}['"]/.test(this.text.slice(this.pos, this.pos + 3)))
    ) {
      let out = '';
      do {
        out += this.string();
        this.skip();
      } while (/^[rRuUbB]{0,2}['"]/.test(this.text.slice(this.pos, this.pos + 3)));
      return out;
    }
    const word = /^(?:True|False|None|[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))/.exec(
      this.text.slice(this.pos, this.pos + 64),
    );
    if (!word) this.fail('an unexpected character');
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0]);
  }

  private dict(depth: number): GypValue {
    this.pos++;
    const out: { [key: string]: GypValue } = Object.create(null) as { [key: string]: GypValue };
    for (;;) {
      this.skip();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value(depth + 1);
      this.skip();
      if (this.text[this.pos] !== ':') this.fail('a missing ":" in a dict');
      this.pos++;
      // gyp keys are strings; any other literal is kept under its text so nothing is dropped
      out[typeof key === 'string' ? key : JSON.stringify(key)] = this.value(depth + 1);
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('a missing "," in a dict');
    }
  }

  private list(depth: number, close: string): GypValue {
    this.pos++;
    const out: GypValue[] = [];
    for (;;) {
      this.skip();
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail('a missing "," in a list');
    }
  }

  private string(): string {
    let raw = false;
    while (/[rRuUbB]/.test(this.text[this.pos] ?? '')) {
      if (this.text[this.pos] === 'r' || this.text[this.pos] === 'R') raw = true;
      this.pos++;
    }
    const quote = this.text[this.pos]!;
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    this.pos += triple ? 3 : 1;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('an unterminated string');
      const c = this.text[this.pos]!;
      if (triple ? this.text.startsWith(quote.repeat(3), this.pos) : c === quote) {
        this.pos += triple ? 3 : 1;
        return out;
      }
      if (!triple && c === '\n') this.fail('a line break inside a string');
      if (c === '\\') {
        const n = this.text[this.pos + 1] ?? '';
        if (raw) {
          out += c + n;
          this.pos += 2;
          continue;
        }
        this.pos += 2;
        out += this.escape(n);
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  private escape(n: string): string {
    switch (n) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case '\n':
        return '';
      case 'x': {
        const hex = this.text.slice(this.pos, this.pos + 2);
        this.pos += 2;
        return String.fromCharCode(parseInt(hex, 16));
      }
      case '\\':
      case "'":
      case '"':
        return n;
      default:
        return `\\${n}`;
    }
  }
}

/** Parses the text of a .gyp/.gypi file; throws GypSyntaxError where gyp would fail to load it. */
export function parseGyp(text: string): GypValue {
  return new Reader(text.replace(/^\uFEFF/, '')).document();
}
