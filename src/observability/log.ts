import { createHash } from 'node:crypto';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /**
   * An info line whose fields the caller has already serialised: `members` is the inside of a JSON object
   * (`"a":1,"b":"x"`), each value from JSON.stringify or a number. For the access log, written once per request.
   */
  infoMembers(event: string, members: string): void;
}

/** Logs may name a key only by this: the first 8 hex digits of its SHA-256. */
export function fingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Lines are gathered and written to stdout once per event-loop turn. stdout to a pipe or file is a blocking
 * write in Node, and one write per request line was the largest single cost of the access log under load;
 * batching turns dozens of lines into one write. Whatever is pending is written before the process exits.
 */
export function stdoutBatcher(): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

/** `new Date().toISOString()`, made once per millisecond: a busy proxy writes many lines in the same one. */
function isoNow(now = Date.now()): string {
  if (now !== isoAt) {
    isoAt = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}
let isoAt = -1;
let iso = '';

/**
 * One JSON object per line. Callers pass fields, never keys: nothing here can know what a key looks like, so
 * redaction is by construction (only fingerprints are ever handed in). The caller's fields object is serialised
 * as it is and spliced after `time`, `level` and `event`, rather than copied into a new object first: this runs
 * once per request.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = stdoutBatcher()): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const enabled = (lvl: LogLevel) => LOG_LEVELS.indexOf(lvl) >= threshold;
  const head = (lvl: LogLevel, event: string) => `{"time":"${isoNow()}","level":"${lvl}","event":${JSON.stringify(event)}`;
  const at = (lvl: LogLevel) => {
    if (!enabled(lvl)) return () => {};
    return (event: string, fields?: LogFields) => {
      const rest = fields === undefined ? '{}' : JSON.stringify(fields);
      write(rest.length > 2 ? `${head(lvl, event)},${rest.slice(1)}\n` : `${head(lvl, event)}}\n`);
    };
  };
  // The access log's lines share their head within a millisecond: made once for all of them.
  let infoAt = -1;
  let infoEvent = '';
  let infoHead = '';
  const infoHeadOf = (event: string) => {
    const now = Date.now();
    if (now !== infoAt || event !== infoEvent) {
      infoAt = now;
      infoEvent = event;
      infoHead = `{"time":"${isoNow(now)}","level":"info","event":${JSON.stringify(event)},`;
    }
    return infoHead;
  };
  const infoMembers = enabled('info') ? (event: string, members: string) => write(`${infoHeadOf(event)}${members}}\n`) : () => {};
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), infoMembers };
}
