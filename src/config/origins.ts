import { DEFAULT_CLIENT } from './clients';
import type { Config } from './types';

/**
 * The `listening` line's account of where the upstream and each client came from. `make run` feeds `.env`
 * in as environment, and environment values replace the config file's: this is how a user sees that
 * `.env`'s OPENAI_BASE_URL, not `upstream.baseUrl`, is in effect.
 */
export function describeOrigins(config: Config) {
  const clients = config.auth === 'none' ? [{ name: DEFAULT_CLIENT, setting: 'PROXY_AUTH=none' }] : config.clients;
  return {
    config: config.origins.configFile ?? null,
    upstream: config.upstream.display,
    upstreamFrom: config.origins.upstream,
    upstreamKeyFrom: config.upstream.apiKey ? config.upstream.apiKeySetting : null,
    clients: clients.map((c) => c.name),
    clientsFrom: Object.fromEntries(clients.map((c) => [c.name, c.setting])),
    ...(Object.keys(config.origins.overridden).length > 0 ? { overridden: config.origins.overridden } : {}),
  };
}

export interface Override {
  setting: string;
  by: string;
  message: string;
}

/**
 * The file settings an environment variable replaced, one warning each: a variable left in the shell or in
 * `.env` (an OPENAI_API_KEY from trying the proxy out) otherwise wins over the file without a word.
 */
export function overrides(config: Config): Override[] {
  const file = config.origins.configFile;
  return Object.entries(config.origins.overridden).map(([setting, by]) => ({
    setting,
    by,
    message: `the environment variable ${by} replaces ${setting} of ${file}`,
  }));
}
