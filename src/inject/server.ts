import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdminServer } from '../observability/admin';
import type { Logger } from '../observability/log';
import { createInjectorMetrics, type InjectorMetrics } from '../observability/metrics';
import { bodyPending, sendJson } from '../http/respond';
import { answerReview, MAX_REVIEW_BYTES } from './webhook';
import type { InjectorSettings } from './settings';
import { watchServingPair } from './tls';
import { drain, listenAll } from '../http/listeners';

/** The path the MutatingWebhookConfiguration calls. */
export const WEBHOOK_PATH = '/inject';

/**
 * Longer than the API server's idle timeout for webhook connections (90 s): the side that closes an idle
 * keep-alive connection must be the client, or a review sent on it just as the server closes it fails, and with
 * `failurePolicy: Ignore` that Pod starts without its proxy.
 */
const KEEP_ALIVE_MS = 120_000;
/** The API server gives up after the webhook's timeoutSeconds (10 s); a client slower than that is not it. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface Injector {
  readonly port: number;
  readonly adminPort: number;
  readonly metrics: InjectorMetrics;
  /** Stops accepting, lets open reviews finish for up to `graceMs`, then closes everything. */
  shutdown(graceMs: number): Promise<void>;
}

/** Starts the webhook (HTTPS) and its admin listener. Importing this module starts nothing. */
export async function startInjector(settings: InjectorSettings, log: Logger): Promise<Injector> {
  const metrics = createInjectorMetrics();
  let draining = false;
  let open = 0;
  const server = https.createServer(
    { ...settings.tls, keepAliveTimeout: KEEP_ALIVE_MS, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS },
    (req, res) => {
      open++;
      res.on('close', () => open--);
      route(req, res, settings, metrics, log);
    },
  );
  // Ready only once the webhook listens too: a Pod must not be an endpoint of the Service before it answers.
  let listening = false;
  const admin = createAdminServer({ metrics, isReady: () => listening && !draining });
  const certificates = watchServingPair(server, settings, settings.tls, log, (result) => metrics.configReloads.with(result).inc());
  await listenAll(
    [
      { server: admin, port: settings.adminPort, host: settings.adminHost, setting: 'ADMIN_HOST/ADMIN_PORT' },
      { server, port: settings.port, host: settings.host, setting: 'INJECT_HOST/INJECT_PORT' },
    ],
    () => certificates.close(),
  );
  listening = true;
  setImmediate(() => void metrics.registry); // the registry and Node's default metrics, once listening (metrics.ts)
  return {
    port: (server.address() as AddressInfo).port,
    adminPort: (admin.address() as AddressInfo).port,
    metrics,
    async shutdown(graceMs) {
      draining = true;
      await drain(server, () => open, graceMs);
      certificates.close();
      await new Promise((resolve) => admin.close(resolve));
    },
  };
}

function route(req: IncomingMessage, res: ServerResponse, settings: InjectorSettings, metrics: InjectorMetrics, log: Logger): void {
  const path = (req.url ?? '').split('?', 1)[0];
  if (path !== WEBHOOK_PATH) return refuse(req, res, 404, `not found: the webhook is served at ${WEBHOOK_PATH}`);
  if (req.method !== 'POST') return refuse(req, res, 405, 'method not allowed: the API server POSTs AdmissionReviews');
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_REVIEW_BYTES) return tooLarge(req, res, metrics, log);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REVIEW_BYTES) {
      req.removeAllListeners('data').pause();
      return tooLarge(req, res, metrics, log);
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_REVIEW_BYTES) return;
    const answer = answerReview(Buffer.concat(chunks), settings.template, log);
    metrics.injections.with(answer.result).inc();
    sendJson(res, answer.status, answer.body, false);
  });
  req.on('error', () => res.destroy());
}

function tooLarge(req: IncomingMessage, res: ServerResponse, metrics: InjectorMetrics, log: Logger): void {
  metrics.injections.with('invalid').inc();
  log.warn('admission_invalid', { reason: `the body is larger than ${MAX_REVIEW_BYTES} bytes`, contentLength: req.headers['content-length'] ?? null });
  refuse(req, res, 413, `an AdmissionReview is at most ${MAX_REVIEW_BYTES} bytes`);
}

/** An answer before the body was read: the connection is closed rather than made to read a body nobody wants. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, JSON.stringify({ error: message }), bodyPending(req));
}
