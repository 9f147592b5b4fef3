import { createHash } from 'node:crypto';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
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

/**
 * One JSON object per line. Callers pass fields, never keys: nothing here can know what a key looks like, so
 * redaction is by construction (only fingerprints are ever handed in). The caller's fields object is serialised
 * as it is and spliced after `time`, `level` and `event`, rather than copied into a new object first: this runs
 * once per request.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = stdoutBatcher()): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lvl: LogLevel) => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return () => {};
    return (event: string, fields?: LogFields) => {
      const head = `{"time":"${new Date().toISOString()}","level":"${lvl}","event":${JSON.stringify(event)}`;
      const rest = fields === undefined ? '{}' : JSON.stringify(fields);
      write(rest.length > 2 ? `${head},${rest.slice(1)}\n` : `${head}}\n`);
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
