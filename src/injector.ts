import type { Env } from './config/types';
import { createLogger } from './observability/log';
import { handleSignals, reportProblems } from './process';
import { startInjector, WEBHOOK_PATH } from './inject/server';
import { loadInjectorSettings } from './inject/settings';
import { describeCertificate } from './inject/tls';
import { VARIANTS } from './inject/template';

/** `node dist/main.js inject`: settings -> webhook and admin listeners -> signals. */
export async function runInjector(env: Env): Promise<number | undefined> {
  const { settings, problems } = loadInjectorSettings(env);
  if (!settings) {
    reportProblems(problems);
    return 1;
  }
  const log = createLogger(settings.logLevel);
  const injector = await startInjector(settings, log);
  log.info('listening', {
    mode: 'injector',
    host: settings.host,
    port: injector.port,
    path: WEBHOOK_PATH,
    adminHost: settings.adminHost,
    adminPort: injector.adminPort,
    credentials: VARIANTS.filter((v) => settings.template[v]),
    certificate: describeCertificate(settings.tls.cert),
  });
  handleSignals(log, async () => {
    log.info('shutdown_started', { graceMs: settings.shutdownGraceMs });
    await injector.shutdown(settings.shutdownGraceMs);
    log.info('shutdown_complete', {});
    return 0;
  });
  return undefined;
}
