import { COMMA, MemberCursor, OPEN_BRACE, memberCut, skipSpace, skipSpaceBack, spells } from './json-scan';

/**
 * What one complete SSE event of a stream that was asked for usage becomes on its way to a client that did not
 * ask: the same bytes, less the top-level `usage` member of its data (`"usage":null` on every chunk), or nothing
 * at all for the usage-only chunk (`"choices":[]`), whose usage is kept. Anything else is kept as it is.
 */

/** Send the event as it is. */
export const KEEP = 0;
/** Send the event less the bytes in [cutStart, cutEnd). */
export const CUT = 1;
/** Send none of the event. */
export const DROP = 2;
export type Verdict = typeof KEEP | typeof CUT | typeof DROP;

const CR = 0x0d;
const SPACE = 0x20;

export class UsageChunkReader {
  cutStart = 0;
  cutEnd = 0;
  /** The usage the last event carried, when it carried one. */
  usage: Record<string, unknown> | undefined;
  private dataStart = 0;
  private dataEnd = 0;
  private valueStart = 0;
  private valueEnd = 0;
  private previousEnd = -1;
  private readonly cursor = new MemberCursor();

  /** Reads the event in `text[start, end)` (its lines and the blank line that ends it). */
  read(text: string, start: number, end: number): Verdict {
    this.usage = undefined;
    if (!this.findData(text, start, end)) return KEEP;
    const { dataStart, dataEnd } = this;
    if (text.charCodeAt(dataStart) !== OPEN_BRACE) return KEEP;
    const usage = this.topLevelUsage(text, dataStart, dataEnd);
    if (usage === -1) return KEEP;
    if (spells(text, this.valueStart, this.valueEnd, 'null')) return this.cutUsage(text, usage);
    if (text.charCodeAt(this.valueStart) !== OPEN_BRACE) return KEEP;
    const figures = parseUsage(text.slice(this.valueStart, this.valueEnd));
    if (!figures) return KEEP;
    this.usage = figures;
    // A usage object beside content (some upstreams report it on the last content chunk) is cut like the nulls.
    return this.hasChoices(text, dataStart, dataEnd) ? this.cutUsage(text, usage) : DROP;
  }

  /**
   * Where the last top-level `"usage"` key of the object `text[open, end)` starts, or -1; its value's span is
   * left in valueStart/valueEnd. Found from the end (where OpenAI puts it) rather than by walking every member:
   * a `"usage"` preceded by `{` or `,` is a key (inside a string each `"` is escaped), and it is a member of the
   * top-level object exactly when the members that follow it end with the data.
   */
  private topLevelUsage(text: string, open: number, end: number): number {
    for (let at = text.lastIndexOf('"usage"', end - 7); at > open; at = text.lastIndexOf('"usage"', at - 1)) {
      const before = skipSpaceBack(text, at - 1, open);
      const c = text.charCodeAt(before);
      if (c !== COMMA && c !== OPEN_BRACE) continue;
      // Walked as the first member of an object: the comma, if any, was before it.
      const cursor = this.cursor.reset(text, at - 1, end);
      if (!cursor.next() || cursor.keyEnd !== at + 7) continue;
      const { valueStart, valueEnd } = cursor;
      while (cursor.next());
      if (cursor.closeEnd === -1 || skipSpace(text, cursor.closeEnd, end) !== end) continue;
      this.valueStart = valueStart;
      this.valueEnd = valueEnd;
      this.previousEnd = c === COMMA ? skipSpaceBack(text, before - 1, open) + 1 : -1;
      return at;
    }
    return -1;
  }

  /** Whether the top-level `choices` holds anything (the usage-only chunk's is `[]`, absent or null). */
  private hasChoices(text: string, open: number, end: number): boolean {
    const cursor = this.cursor.reset(text, open, end);
    let content = false;
    while (cursor.next()) if (cursor.keyIs('choices')) content = !isEmptyList(text, cursor.valueStart, cursor.valueEnd);
    return content;
  }

  private cutUsage(text: string, keyStart: number): Verdict {
    const cut = memberCut(text, this.previousEnd, keyStart, this.valueEnd, this.dataEnd);
    return this.cut(cut.start, cut.end);
  }

  private cut(start: number, end: number): Verdict {
    this.cutStart = start;
    this.cutEnd = end;
    return CUT;
  }

  /** Finds the event's one `data:` line; an event with none or several is not one of the chunks we edit. */
  private findData(text: string, start: number, end: number): boolean {
    let found = false;
    for (let line = start; line < end; ) {
      let next = text.indexOf('\n', line);
      if (next === -1 || next >= end) next = end;
      if (text.startsWith('data:', line)) {
        if (found) return false;
        found = true;
        this.dataStart = text.charCodeAt(line + 5) === SPACE ? line + 6 : line + 5;
        this.dataEnd = next > line && text.charCodeAt(next - 1) === CR ? next - 1 : next;
      }
      line = next + 1;
    }
    return found && this.dataEnd > this.dataStart;
  }
}

/** `[]` (spaces allowed inside) or `null`: a usage-only chunk's choices. */
function isEmptyList(text: string, start: number, end: number): boolean {
  if (spells(text, start, end, 'null')) return true;
  return text.charCodeAt(start) === 0x5b /* [ */ && skipSpace(text, start + 1, end) === end - 1;
}

function parseUsage(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
