import { readFileSync } from 'node:fs';
import { Problems } from '../config/checks';
import type { Problem, Env } from '../config/types';
import { LOG_LEVELS, type LogLevel } from '../observability/log';
import { parseTemplate, type SidecarTemplate } from './template';
import { servingPairProblem, type ServingPair } from './tls';

/** `node dist/main.js inject`: the webhook's settings. It holds no OpenAI key and no client key. */
export interface InjectorSettings {
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  certFile: string;
  keyFile: string;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  template: SidecarTemplate;
  /** The certificate and key as read at start; later changes are picked up by polling the files. */
  tls: ServingPair;
}

type ReadText = (path: string) => string;

/** Every problem at once, as the proxy's own settings are reported; `settings` only when there are none. */
export function loadInjectorSettings(env: Env, readText: ReadText = (p) => readFileSync(p, 'utf8')): { settings?: InjectorSettings; problems: Problem[] } {
  const problems = new Problems();
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const required = (name: string, what: string) => get(name) ?? problems.add(name, `is required: ${what}`) ?? '';
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.add('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const certFile = required('INJECT_TLS_CERT_FILE', "the webhook's serving certificate (PEM)");
  const keyFile = required('INJECT_TLS_KEY_FILE', 'its private key (PEM)');
  const configFile = required('INJECT_CONFIG', 'the sidecar to insert, as the chart renders it');
  const cert = certFile ? readable(certFile, 'INJECT_TLS_CERT_FILE', readText, problems) : undefined;
  const key = keyFile ? readable(keyFile, 'INJECT_TLS_KEY_FILE', readText, problems) : undefined;
  const tlsProblem = cert !== undefined && key !== undefined ? servingPairProblem({ cert, key }) : undefined;
  if (tlsProblem) problems.add('INJECT_TLS_KEY_FILE', tlsProblem);
  const configText = configFile ? readable(configFile, 'INJECT_CONFIG', readText, problems) : undefined;
  const template = configText === undefined ? undefined : parseTemplate(configText, problems);

  const settings = {
    host: get('INJECT_HOST') ?? '0.0.0.0',
    port: problems.int(env, 'INJECT_PORT', 8443, 0, 65535),
    adminHost: get('ADMIN_HOST') ?? '0.0.0.0',
    adminPort: problems.int(env, 'ADMIN_PORT', 9090, 0, 65535),
    certFile,
    keyFile,
    logLevel: logLevel as LogLevel,
    shutdownGraceMs: problems.int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0),
  };
  if (settings.port !== 0 && settings.port === settings.adminPort && settings.host === settings.adminHost)
    problems.add('ADMIN_PORT', 'must differ from INJECT_PORT');
  if (problems.list.length > 0 || !template || cert === undefined || key === undefined) return { problems: problems.list };
  return { settings: Object.freeze({ ...settings, template, tls: { cert, key } }), problems: [] };
}

function readable(path: string, setting: string, readText: ReadText, problems: Problems): string | undefined {
  try {
    return readText(path);
  } catch (err) {
    return problems.add(setting, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
