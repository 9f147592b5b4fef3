import type { Problem } from './config/types';
import { ListenError } from './http/listeners';
import type { Logger } from './observability/log';

/** What both commands (the proxy and `inject`) do with their process: signals, and refusing a bad start. */

/** SIGTERM or SIGINT runs `shutdown` once and exits with the code it resolves to. */
export function handleSignals(log: Logger, shutdown: () => Promise<number>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info('signal', { signal });
    shutdown().then(
      (code) => process.exit(code),
      (err: Error) => {
        log.error('shutdown_failed', { message: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Every problem at once, each naming its setting, for a person (stderr) and for log collectors (stdout). */
export function reportProblems(problems: Problem[]): void {
  const lines = problems.map((p) => `  - ${p.setting}: ${p.message}`);
  process.stderr.write(`openai-proxy: invalid configuration\n${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', event: 'config_invalid', problems })}\n`);
}

/** A start that failed after the configuration was accepted (a listener that cannot bind): say why, exit 1. */
export function reportStartFailure(err: NodeJS.ErrnoException): void {
  const setting = err instanceof ListenError ? err.setting : undefined;
  process.stderr.write(`openai-proxy: failed to start: ${setting ? `${setting}: ` : ''}${err.message}\n`);
  const line = { time: new Date().toISOString(), level: 'error', event: 'start_failed', setting, code: err.code, message: err.message };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
