import http from 'node:http';
import https from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpstreamConfig } from '../config/types';
import { headerList } from '../http/headers';
import { UpstreamHealth } from './upstream-health';

/** Idle keep-alive sockets kept per upstream; busy sockets are bounded by the connections clients hold. */
const MAX_FREE_SOCKETS = 256;

export interface Upstream {
  /** Its name: the `upstream` label of metrics and log lines. */
  readonly name: string;
  readonly config: UpstreamConfig;
  /** How its last attempts went: whether requests should try it now. */
  readonly health: UpstreamHealth;
  readonly agent: http.Agent;
  readonly tls: boolean;
  /** `fresh`: on a connection made for this request, never a pooled one (a retry after a stale connection). */
  request(method: string, path: string, headers: OutgoingHttpHeaders, fresh?: boolean): http.ClientRequest;
  /**
   * A pooled connection turned out closed by the upstream: the others idle beside it were most likely closed the
   * same way, so they are let go rather than handed to the next requests.
   */
  dropIdleConnections(): void;
}

/**
 * One keep-alive agent per upstream, built at start. Idle sockets are closed after `keepAliveTimeoutMs`, which
 * must stay below the upstream's own idle timeout so the proxy never reuses a socket the upstream is closing.
 * `lifo` reuses the warmest socket and lets the rest age out. TLS verification is Node's default and is never
 * turned off; tests trust their CA through NODE_EXTRA_CA_CERTS.
 */
export function createUpstream(config: UpstreamConfig): Upstream {
  const tls = config.protocol === 'https:';
  const agentOptions: http.AgentOptions = {
    keepAlive: true,
    maxFreeSockets: MAX_FREE_SOCKETS,
    timeout: config.keepAliveTimeoutMs,
    scheduling: 'lifo',
  };
  const agent = tls ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  closeIdleSocketsThatSpeak(agent);
  const send = tls ? https.request : http.request;
  const { hostname, port, basePath } = config;
  return {
    name: config.name,
    config,
    health: new UpstreamHealth(),
    agent,
    tls,
    request: (method, path, headers, fresh = false) =>
      send({ agent: fresh ? false : agent, hostname, port, method, path: basePath + path, headers: asSent(headers, fresh) }),
    dropIdleConnections: () => {
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    },
  };
}

/**
 * Node writes a header list at once, before it has seen the body or whether the request keeps its connection: it
 * is used when both are settled, a Content-Length given and a pooled connection (nearly every request); otherwise
 * the object, whose head Node completes once the body is known.
 */
function asSent(headers: OutgoingHttpHeaders, fresh: boolean): OutgoingHttpHeaders | string[] {
  return fresh || headers['content-length'] === undefined ? headers : headerList(headers);
}

/**
 * An idle keep-alive socket must stay silent. Bytes arriving on one (a body after a 204 or a HEAD answer, more
 * than a Content-Length promised, a second response) would be read as the answer to the next request sent on
 * it, another client's perhaps: the socket is closed instead, as nginx and Envoy close such a connection.
 * Bytes that arrive with the response itself are Node's to catch: it destroys the socket.
 */
function closeIdleSocketsThatSpeak(agent: http.Agent): void {
  // The agent's documented hooks; Node's keepSocketAlive returns whether to keep the socket (its types say void).
  const hooks = agent as unknown as KeepAliveHooks;
  const keep = hooks.keepSocketAlive;
  const reuse = hooks.reuseSocket;
  hooks.keepSocketAlive = function (socket) {
    if (!keep.call(this, socket)) return false;
    socket.on('data', destroyOnData);
    return true;
  };
  hooks.reuseSocket = function (socket, request) {
    socket.removeListener('data', destroyOnData);
    reuse.call(this, socket, request);
  };
}

interface KeepAliveHooks {
  keepSocketAlive(this: KeepAliveHooks, socket: Duplex): boolean;
  reuseSocket(this: KeepAliveHooks, socket: Duplex, request: http.ClientRequest): void;
}

function destroyOnData(this: Duplex): void {
  this.destroy();
}
