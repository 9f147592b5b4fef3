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
 * One JSON object per line on stdout. Callers pass fields, never keys: nothing here can know what a key
 * looks like, so redaction is by construction (only fingerprints are ever handed in).
 */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lvl: LogLevel) => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return () => {};
    return (event: string, fields?: LogFields) => {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...fields }) + '\n');
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
