/**
 * A structural walk over JSON text: where an object's members and their values begin and end, without decoding
 * or copying anything. The text is the body's bytes read as latin1, so a character index is a byte offset and
 * an edit found here applies to the Buffer as is (every structural character is ASCII; the bytes of a UTF-8
 * sequence are all 0x80 or above and never look like one). The walk trusts its input to be JSON (the request
 * side checks with JSON.parse first) and answers -1 or false on a shape it cannot follow, never a guess.
 */

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The first index at or after `i` (and before `end`) that is not JSON whitespace. */
export function skipSpace(text: string, i: number, end: number): number {
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The index just past the string whose opening quote is at `open`, or -1. */
export function skipString(text: string, open: number, end: number): number {
  for (let from = open + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote === -1 || quote >= end) return -1;
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index just past the object or array that opens at `open`, or -1. */
function skipContainer(text: string, open: number, end: number): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const after = skipString(text, i, end);
      if (after === -1) return -1;
      i = after - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return -1;
}

/** The index just past the value that starts at `i`, or -1. */
export function skipValue(text: string, i: number, end: number): number {
  if (i >= end) return -1;
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return skipContainer(text, i, end);
  // A number or a literal runs to the next delimiter.
  let j = i;
  for (let d = c; j < end && d !== COMMA && d !== CLOSE_BRACE && d !== CLOSE_BRACKET && !isSpace(d); d = text.charCodeAt(++j));
  return j;
}

/** Whether `text[start, end)` is exactly `word` (a literal such as `null`, or `[]` with no space inside). */
export function spells(text: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && text.startsWith(word, start);
}

/**
 * Steps through the members of one object. Reused: `reset` points it at an object, each `next` moves to the
 * following member, and after the last `closeEnd` is just past the closing brace (-1 when the shape broke).
 */
export class MemberCursor {
  keyStart = 0;
  keyEnd = 0;
  valueStart = 0;
  valueEnd = 0;
  closeEnd = -1;
  private text = '';
  private end = 0;
  private at = 0;
  private members = 0;

  /** `open` is the index of the object's `{` (or the index before a member to start from, as if it were). */
  reset(text: string, open: number, end: number): this {
    this.text = text;
    this.end = end;
    this.at = open + 1;
    this.members = 0;
    this.closeEnd = -1;
    return this;
  }

  next(): boolean {
    const { text, end } = this;
    let i = skipSpace(text, this.at, end);
    if (i < end && text.charCodeAt(i) === CLOSE_BRACE) {
      this.closeEnd = i + 1;
      return false;
    }
    if (this.members > 0) {
      if (i >= end || text.charCodeAt(i) !== COMMA) return false;
      i = skipSpace(text, i + 1, end);
    }
    if (i >= end || text.charCodeAt(i) !== QUOTE) return false;
    const keyEnd = skipString(text, i, end);
    if (keyEnd === -1) return false;
    let j = skipSpace(text, keyEnd, end);
    if (j >= end || text.charCodeAt(j) !== COLON) return false;
    j = skipSpace(text, j + 1, end);
    const valueEnd = skipValue(text, j, end);
    if (valueEnd === -1 || valueEnd === j) return false;
    this.keyStart = i;
    this.keyEnd = keyEnd;
    this.valueStart = j;
    this.valueEnd = valueEnd;
    this.at = valueEnd;
    this.members++;
    return true;
  }

  /** Whether the current member's key is `name`, escapes (`"\u0073tream"`) decoded as JSON.parse would. */
  keyIs(name: string): boolean {
    const { text, keyStart, keyEnd } = this;
    if (keyEnd - keyStart - 2 === name.length && text.startsWith(name, keyStart + 1)) return true;
    let escaped = false;
    for (let i = keyStart + 1; i < keyEnd - 1 && !escaped; i++) escaped = text.charCodeAt(i) === BACKSLASH;
    if (!escaped) return false;
    try {
      return JSON.parse(text.slice(keyStart, keyEnd)) === name;
    } catch {
      return false;
    }
  }
}

/** The last index before `i` (and at or after `floor`) that is not JSON whitespace, or floor - 1. */
export function skipSpaceBack(text: string, i: number, floor: number): number {
  while (i >= floor && isSpace(text.charCodeAt(i))) i--;
  return i;
}

/**
 * The bytes to remove so that the member `text[keyStart, valueEnd)` is gone and the object stays valid: from
 * the end of the previous value (`previousEnd`, -1 for the first member) through this value, or for the first
 * member through the comma and spaces after it.
 */
export function memberCut(text: string, previousEnd: number, keyStart: number, valueEnd: number, end: number): { start: number; end: number } {
  if (previousEnd !== -1) return { start: previousEnd, end: valueEnd };
  const after = skipSpace(text, valueEnd, end);
  if (after < end && text.charCodeAt(after) === COMMA) return { start: keyStart, end: skipSpace(text, after + 1, end) };
  return { start: keyStart, end: valueEnd };
}
