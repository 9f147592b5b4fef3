import http from 'node:http';
import type { Registry } from 'prom-client';
import { sendJson } from '../http/respond';

export interface AdminDeps {
  metrics: { registry: Registry };
  /** Keys loaded (the injector: its certificate and sidecar template) and not draining. */
  isReady(): boolean;
  /** The `/readyz` body's status while not ready. */
  notReadyStatus?(): string;
  /** `GET /limits`: each client's limits as the store counts them (the proxy only). */
  limits?(): Promise<unknown>;
}

/** `/metrics`, `/healthz`, `/readyz` on their own listener, so metrics never share a port with clients. */
export function createAdminServer(deps: AdminDeps): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, '{"error":"method not allowed"}', false);
    switch (path) {
      case '/healthz':
        return sendJson(res, 200, '{"status":"ok"}', false);
      case '/readyz':
        if (deps.isReady()) return sendJson(res, 200, '{"status":"ready"}', false);
        return sendJson(res, 503, JSON.stringify({ status: deps.notReadyStatus?.() ?? 'draining' }), false);
      case '/limits':
        if (!deps.limits) return sendJson(res, 404, '{"error":"not found"}', false);
        deps.limits().then(
          (doc) => sendJson(res, 200, JSON.stringify(doc), false),
          () => sendJson(res, 503, '{"error":"the limits store could not be read"}', false),
        );
        return;
      case '/metrics':
        deps.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            res.end(text);
          },
          () => sendJson(res, 500, '{"error":"metrics unavailable"}', false),
        );
        return;
      default:
        return sendJson(res, 404, '{"error":"not found"}', false);
    }
  });
}
