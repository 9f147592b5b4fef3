#!/usr/bin/env node
import { startApp } from './app';
import { loadConfig } from './config/config';
import type { Config, Env, JwksSource } from './config/types';
import { DEFAULT_CLIENT } from './config/clients';
import { describeOrigins, overrides } from './config/origins';
import { jwksStartProblems } from './service-accounts/jwks-fetch';
import { KeyStore } from './keys/keystore';
import { createLogger } from './observability/log';
import { handleSignals, reportProblems, reportStartFailure } from './process';

/** Reads config, starts the listeners and handles signals; returns the exit code for configuration failures. */
export async function main(env: Env): Promise<number | undefined> {
  const loaded = loadConfig(env);
  const keys = KeyStore.load(loaded.draft, env);
  // A setting already reported (say, a missing key) is not reported twice.
  const problems = [...loaded.problems, ...keys.problems.filter((k) => !loaded.problems.some((p) => p.setting === k.setting))];
  if (loaded.draft.kubernetes) problems.push(...jwksStartProblems(loaded.draft.kubernetes.jwks));
  if (!loaded.config || !keys.store || problems.length > 0) {
    reportProblems(problems);
    return 1;
  }
  const config = loaded.config;
  const log = createLogger(config.logLevel);
  const app = await startApp(config, keys.store, log);
  log.info('listening', {
    host: config.host,
    port: app.port,
    adminHost: config.adminHost,
    adminPort: app.adminPort,
    mode: mode(config),
    ...describeOrigins(config),
    serviceAccounts: config.kubernetes && {
      issuer: config.kubernetes.issuer,
      audience: config.kubernetes.audience,
      jwks: describeJwks(config.kubernetes.jwks),
    },
  });
  for (const override of overrides(config)) log.warn('config_overridden', { ...override });
  handleSignals(log, async () => {
    log.info('shutdown_started', { graceMs: config.shutdownGraceMs });
    const cut = await app.shutdown(config.shutdownGraceMs);
    log.info('shutdown_complete', { cut });
    return cut > 0 ? 1 : 0;
  });
  return undefined;
}

function mode(config: Config): string {
  if (config.auth === 'none') return 'no-auth';
  return config.clients.length === 1 && config.clients[0]!.name === DEFAULT_CLIENT ? 'single-tenant' : 'multi-tenant';
}

function describeJwks(source: JwksSource): string {
  return source.kind === 'file' ? source.path : source.url;
}

/** `openai-proxy` runs the proxy; `openai-proxy inject` the sidecar injector (a mutating admission webhook). */
function command(args: readonly string[]): (env: Env) => Promise<number | undefined> {
  if (args.length === 0) return main;
  // The injector's modules are loaded only by the command that runs it: the proxy's start-up never pays for them.
  if (args.length === 1 && args[0] === 'inject') return (env) => (require('./injector') as typeof import('./injector')).runInjector(env);
  return async () => {
    process.stderr.write(`openai-proxy: unknown arguments ${JSON.stringify(args)}; the only command is "inject" (none runs the proxy)\n`);
    return 1;
  };
}

if (require.main === module) {
  command(process.argv.slice(2))(process.env).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: NodeJS.ErrnoException) => {
      reportStartFailure(err);
      // Explicitly: whatever else was started must not keep a half-started process alive.
      process.exit(1);
    },
  );
}
