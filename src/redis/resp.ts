import { RedisError } from './errors';

/**
 * RESP2 and RESP3 replies, read incrementally from a socket's chunks.
 *
 * Values: simple, bulk and verbatim strings are strings (verbatim without its `txt:` format); integers and doubles
 * numbers; big numbers bigints; booleans booleans; null (RESP2's `$-1`/`*-1` too) null; arrays and sets arrays;
 * maps Maps; an error reply a RedisError of kind `reply` (nested errors stay values, a top-level one rejects its
 * command). Attributes are read and dropped; pushes go to `onPush`, never to a command.
 */
export type RespValue = string | number | bigint | boolean | null | RedisError | RespValue[] | Map<RespValue, RespValue>;

const INCOMPLETE = Symbol('incomplete');
type Parsed = RespValue | typeof INCOMPLETE;

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);
/** Longer than any status line Redis sends: a line without CRLF by then is not RESP. */
const MAX_LINE = 64 * 1024;

export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Chunks held back while a known-size reply is still incomplete, so a large bulk string is joined once. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes from the current reply's start that must be buffered before parsing again (0: unknown). */
  private need = 0;
  private start = 0;

  constructor(
    private readonly onReply: (value: RespValue) => void,
    private readonly onPush: (value: RespValue) => void = () => {},
  ) {}

  /** Throws a RedisError of kind `protocol` on bytes that are not RESP; the parser is unusable afterwards. */
  feed(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      const buffered = this.buf.length - this.pos + this.heldBytes + chunk.length;
      if (buffered < this.need) {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        return;
      }
      this.buf = Buffer.concat([this.buf.subarray(this.pos), ...this.held, chunk]);
      this.pos = 0;
      this.held = [];
      this.heldBytes = 0;
    }
    this.need = 0;
    while (this.pos < this.buf.length) {
      this.start = this.pos;
      const isPush = this.buf[this.pos] === 0x3e; // '>'
      const value = this.value();
      if (value === INCOMPLETE) {
        this.pos = this.start;
        return;
      }
      if (isPush) this.onPush(value);
      else this.onReply(value);
    }
    this.buf = EMPTY;
    this.pos = 0;
  }

  /** Bytes received but not yet part of a whole reply (a connection closing with some is closing mid-reply). */
  get partial(): number {
    return this.buf.length - this.pos + this.heldBytes;
  }

  private value(): Parsed {
    if (this.pos >= this.buf.length) return INCOMPLETE;
    const type = this.buf[this.pos++]!;
    switch (type) {
      case 0x2b: // + simple string
        return this.line();
      case 0x2d: // - error
        return this.errorValue(this.line());
      case 0x3a: // : integer
        return this.integer();
      case 0x24: // $ bulk string
        return this.bulk(false);
      case 0x2a: // * array
      case 0x7e: // ~ set
      case 0x3e: // > push
        return this.aggregate();
      case 0x25: // % map
        return this.map();
      case 0x7c: // | attribute: read, dropped, then the value it describes
        return this.map() === INCOMPLETE ? INCOMPLETE : this.value();
      case 0x5f: // _ null
        return this.line() === INCOMPLETE ? INCOMPLETE : null;
      case 0x2c: // , double
        return this.double();
      case 0x23: // # boolean
        return this.boolean();
      case 0x28: // ( big number
        return this.bigNumber();
      case 0x3d: // = verbatim string: `txt:` or `mkd:` then the text
        return this.bulk(true);
      case 0x21: // ! bulk error
        return this.errorValue(this.bulk(false));
      default:
        throw protocolError(`unexpected type byte 0x${type.toString(16)}`);
    }
  }

  /** The text up to CRLF, the position moved past it. */
  private line(): string | typeof INCOMPLETE {
    const end = this.lineEnd();
    if (end < 0) return INCOMPLETE;
    const text = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 2;
    return text;
  }

  /** Index of the CR of the next CRLF, or -1 while it has not arrived. */
  private lineEnd(): number {
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf < 0) {
      if (this.buf.length - this.pos > MAX_LINE) throw protocolError('line too long');
      return -1;
    }
    if (lf === this.pos || this.buf[lf - 1] !== CR) throw protocolError('line not ended by CRLF');
    return lf - 1;
  }

  /** A signed decimal read from the bytes, without making a string (every admission's reply is integers). */
  private integer(): number | typeof INCOMPLETE {
    const end = this.lineEnd();
    if (end < 0) return INCOMPLETE;
    let i = this.pos;
    const negative = this.buf[i] === 0x2d;
    if (negative || this.buf[i] === 0x2b) i++;
    if (i === end) throw protocolError('empty integer');
    let n = 0;
    for (; i < end; i++) {
      const digit = this.buf[i]! - 0x30;
      if (digit < 0 || digit > 9) throw protocolError('bad integer');
      n = n * 10 + digit;
    }
    this.pos = end + 2;
    return negative ? -n : n;
  }

  private bulk(verbatim: boolean): string | null | typeof INCOMPLETE {
    const length = this.integer();
    if (length === INCOMPLETE) return INCOMPLETE;
    if (length < 0) return null;
    const end = this.pos + length;
    if (end + 2 > this.buf.length) {
      this.need = end + 2 - this.start;
      return INCOMPLETE;
    }
    if (this.buf[end] !== CR || this.buf[end + 1] !== LF) throw protocolError('bulk string not ended by CRLF');
    const from = verbatim && length >= 4 && this.buf[this.pos + 3] === 0x3a ? this.pos + 4 : this.pos;
    const text = this.buf.toString('utf8', from, end);
    this.pos = end + 2;
    return text;
  }

  private aggregate(): RespValue[] | null | typeof INCOMPLETE {
    const count = this.integer();
    if (count === INCOMPLETE) return INCOMPLETE;
    if (count < 0) return null;
    const items: RespValue[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const item = this.value();
      if (item === INCOMPLETE) return INCOMPLETE;
      items[i] = item;
    }
    return items;
  }

  private map(): Map<RespValue, RespValue> | typeof INCOMPLETE {
    const count = this.integer();
    if (count === INCOMPLETE) return INCOMPLETE;
    const map = new Map<RespValue, RespValue>();
    for (let i = 0; i < count; i++) {
      const key = this.value();
      if (key === INCOMPLETE) return INCOMPLETE;
      const value = this.value();
      if (value === INCOMPLETE) return INCOMPLETE;
      map.set(key, value);
    }
    return map;
  }

  private double(): number | typeof INCOMPLETE {
    const text = this.line();
    if (text === INCOMPLETE) return INCOMPLETE;
    if (text === 'inf') return Infinity;
    if (text === '-inf') return -Infinity;
    if (text === 'nan' || text === '-nan') return NaN;
    const n = Number(text);
    if (text === '' || Number.isNaN(n)) throw protocolError('bad double');
    return n;
  }

  private boolean(): boolean | typeof INCOMPLETE {
    const text = this.line();
    if (text === INCOMPLETE) return INCOMPLETE;
    if (text !== 't' && text !== 'f') throw protocolError('bad boolean');
    return text === 't';
  }

  private bigNumber(): bigint | typeof INCOMPLETE {
    const text = this.line();
    if (text === INCOMPLETE) return INCOMPLETE;
    if (!/^[+-]?\d+$/.test(text)) throw protocolError('bad big number');
    return BigInt(text);
  }

  private errorValue(text: string | null | typeof INCOMPLETE): RedisError | typeof INCOMPLETE {
    if (text === INCOMPLETE) return INCOMPLETE;
    return new RedisError('reply', text ?? 'ERR');
  }
}

function protocolError(what: string): RedisError {
  return new RedisError('protocol', `Redis sent something that is not RESP: ${what}`);
}

/** Argument of a command: strings are sent as UTF-8, numbers in their shortest decimal form. */
export type RespArg = string | number;

/** A command as RESP: an array of bulk strings. Appended to `out` so a batch becomes one string, one write. */
export function encodeCommand(out: string[], args: readonly RespArg[]): void {
  out.push(`*${args.length}\r\n`);
  for (const arg of args) encodeArg(out, arg);
}

export function encodeArg(out: string[], arg: RespArg): void {
  const text = typeof arg === 'number' ? numberArg(arg) : arg;
  out.push(`$${Buffer.byteLength(text)}\r\n`, text, '\r\n');
}

/** Whole numbers in full (String(1e21) would be `1e+21`, which Redis refuses as an integer). */
function numberArg(n: number): string {
  if (Number.isSafeInteger(n) || !Number.isInteger(n)) return String(n);
  return BigInt(n).toString();
}
