import { MemberCursor, OPEN_BRACE, skipSpace, spells } from './json-scan';

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
  private readonly cursor = new MemberCursor();

  /** Reads the event in `text[start, end)` (its lines and the blank line that ends it). */
  read(text: string, start: number, end: number): Verdict {
    this.usage = undefined;
    if (!this.findData(text, start, end)) return KEEP;
    const { dataStart, dataEnd } = this;
    if (text.charCodeAt(dataStart) !== OPEN_BRACE) return KEEP;
    const cursor = this.cursor.reset(text, dataStart, dataEnd);
    let usageAt = -1;
    let usageEnd = -1;
    let cut: { start: number; end: number } | undefined;
    let content = false;
    while (cursor.next()) {
      if (cursor.keyIs('usage')) {
        usageAt = cursor.valueStart;
        usageEnd = cursor.valueEnd;
        cut = cursor.memberCut();
      } else if (cursor.keyIs('choices')) content = !isEmptyList(text, cursor.valueStart, cursor.valueEnd);
    }
    // The data must be exactly one object, or the offsets cannot be trusted.
    if (cursor.closeEnd === -1 || skipSpace(text, cursor.closeEnd, dataEnd) !== dataEnd || !cut) return KEEP;
    if (spells(text, usageAt, usageEnd, 'null')) return this.cut(cut.start, cut.end);
    if (text.charCodeAt(usageAt) !== OPEN_BRACE) return KEEP;
    const usage = parseUsage(text.slice(usageAt, usageEnd));
    if (!usage) return KEEP;
    this.usage = usage;
    // A usage object beside content (some upstreams report it on the last content chunk) is cut like the nulls.
    return content ? this.cut(cut.start, cut.end) : DROP;
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
