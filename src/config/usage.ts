import { type Problems, isRecord, rejectUnknownKeys } from './checks';
import type { Env, StreamUsage } from './types';

/** The `usage:` section: how the proxy counts what streams use. */

export type StreamUsageSetting = StreamUsage | 'auto';
const SETTINGS: readonly StreamUsageSetting[] = ['inject', 'passthrough', 'auto'];

/** `PROXY_STREAM_USAGE`, else `usage.streamUsage`, else `auto`. */
export function parseStreamUsage(env: Env, raw: unknown, problems: Problems): StreamUsageSetting {
  const section = isRecord(raw) ? raw : {};
  if (raw !== undefined && raw !== null && !isRecord(raw)) problems.add('usage', 'must be a mapping (streamUsage)');
  rejectUnknownKeys(section, ['streamUsage'], 'usage', problems);
  const setting = env.PROXY_STREAM_USAGE ? 'PROXY_STREAM_USAGE' : 'usage.streamUsage';
  const value = env.PROXY_STREAM_USAGE || section.streamUsage;
  if (value === undefined || value === null) return 'auto';
  if ((SETTINGS as readonly unknown[]).includes(value)) return value as StreamUsageSetting;
  problems.add(setting, `must be one of ${SETTINGS.join(', ')}`);
  return 'auto';
}

/**
 * `auto` injects only in front of api.openai.com, which is known to answer `stream_options.include_usage`;
 * a compatible server (vLLM, Ollama, a gateway) may refuse an option it does not know, so it gets the request
 * as sent unless `inject` is chosen for it.
 */
export function streamUsageFor(setting: StreamUsageSetting, hostname: string): StreamUsage {
  if (setting !== 'auto') return setting;
  return hostname === 'api.openai.com' ? 'inject' : 'passthrough';
}
