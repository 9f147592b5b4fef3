import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/types';
import { CredentialUse } from '../credentials/credential-use';
import { credentialUnavailable } from '../credentials/errors';
import { ProxyError, headersTooLarge, notAllowed, serviceAccountKeysUnavailable, shuttingDown, upgradeRefused } from '../http/errors';
import { credentialSecret, type UpstreamSigning, upstreamRequestHeaders } from '../http/headers';
import { refuseSocket, refuseSocketUnauthorized } from '../http/respond';
import { matchEndpoint, normaliseTarget } from '../http/routes';
import { UpstreamError, classifyUpstreamError, firstByteTimeout } from '../http/upstream-errors';
import { identifyCaller, type Authentication } from '../keys/callers';
import type { KeyStore } from '../keys/keystore';
import type { Metrics } from '../observability/metrics';
import type { ServiceAccountTokens } from '../service-accounts/service-account-tokens';
import type { Session } from '../websocket/session';
import { NO_SPEND, type Ticket } from '../limits';
import { type AdmissionDeps, admitTo, modelRefusal } from './admission';
import type { RefusedRequest, Recorder } from './access-log';
import { framingProblem } from './framing';
import { MAX_HEADER_LINES, UNAUTHENTICATED } from './handler';
import type { Upstream } from './upstream';
import { refuseUpstreamAnswer } from './websocket-refusal';
import { type SessionStart, startAccountedSession } from './websocket-relay';
import { callerHeaders, isWebSocketUpgrade, switchingHead, upstreamUpgradeHeaders, WEBSOCKET_PATHS } from './websocket-handshake';

export interface UpgradeDeps {
  config: Config;
  keys: KeyStore;
  serviceAccounts?: ServiceAccountTokens;
  upstream: Upstream;
  metrics: Metrics;
  recorder: Recorder;
  isDraining(): boolean;
  admission: AdmissionDeps;
}

/**
 * WebSocket upgrades on /v1/realtime and /v1/responses: the caller is identified as for any request (or by the
 * browser's subprotocol key), the upgrade goes upstream with the upstream credential, and once the upstream has
 * switched protocols the session is relayed (websocket/) and accounted for (websocket-relay.ts). Every other
 * upgrade, and every refusal, is answered in JSON on the socket, which is then closed.
 */
export function createUpgradeHandler(deps: UpgradeDeps) {
  const { config, metrics } = deps;
  /** Each open session, and the promise of its end. */
  const sessions = new Map<Session, Promise<void>>();

  function handle(req: IncomingMessage, socket: Socket, head: Buffer): void {
    // Errors of this socket are the session's or the refusal's to handle; none may crash the process.
    socket.on('error', () => socket.destroy());
    const startedAt = performance.now();
    const early = earlyProblem(req);
    if (early) return refuse(req, socket, early, { status: early.status, endpoint: undefined, client: UNAUTHENTICATED, code: early.code, startedAt });
    const caller = identifyCaller(deps.keys.table, deps.serviceAccounts, callerHeaders(req.headers));
    if (caller instanceof Promise) void caller.then((found) => !socket.destroyed && admit(req, socket, head, found, startedAt));
    else admit(req, socket, head, caller, startedAt);
  }

  function earlyProblem(req: IncomingMessage): ProxyError | undefined {
    if (deps.isDraining()) return shuttingDown();
    const framing = framingProblem(req);
    if (framing) return framing;
    if (req.rawHeaders.length > MAX_HEADER_LINES * 2) return headersTooLarge();
    return isWebSocketUpgrade(req) ? undefined : upgradeRefused();
  }

  /** As for any request, the key before the path: a caller without one learns nothing of the allowlist. */
  function admit(req: IncomingMessage, socket: Socket, head: Buffer, caller: Authentication, startedAt: number): void {
    const target = normaliseTarget(req.url ?? '');
    const endpoint = target && matchEndpoint(target.path, config.endpoints);
    const { client, serviceAccount } = caller;
    if (!client) {
      if (caller.unavailable)
        return refuse(req, socket, serviceAccountKeysUnavailable(), refusal(503, endpoint, UNAUTHENTICATED, 'service_account_keys_unavailable'));
      metrics.authFailures.with().inc();
      refuseSocketUnauthorized(socket);
      return deps.recorder.refused(req, { ...refusal(401, endpoint, UNAUTHENTICATED, undefined), reason: caller.reason, serviceAccount });
    }
    if (!target || !endpoint) return refuse(req, socket, notAllowed(), refusal(404, undefined, client.name, 'endpoint_not_allowed', serviceAccount));
    if (!WEBSOCKET_PATHS.has(target.path))
      return refuse(req, socket, upgradeRefused(), refusal(400, endpoint, client.name, 'upgrade_not_supported', serviceAccount));
    const path = target.query ? `${target.path}?${target.query}` : target.path;
    const model = new URLSearchParams(target.query).get('model') ?? undefined;
    // A session's frames are never read on the client's side: with allowedModels, the model is the query's.
    const disallowed = modelRefusal(client.allowedModels, true, model);
    if (disallowed) return refuse(req, socket, disallowed, refusal(403, endpoint, client.name, 'model_not_allowed', serviceAccount));
    void connect({ req, socket, head, client, serviceAccount, endpoint, path, model, startedAt, upstream: deps.upstream.name });

    function refusal(status: number, at: string | undefined, name: string, code: string | undefined, account?: string): RefusedRequest {
      return { status, endpoint: at || undefined, client: name, code, startedAt, serviceAccount: account };
    }
  }

  function refuse(req: IncomingMessage, socket: Socket, err: ProxyError, record: RefusedRequest): void {
    refuseSocket(socket, err);
    deps.recorder.refused(req, record);
  }

  async function connect(start: SessionStart): Promise<void> {
    // A session is one request, and holds one concurrentStreams slot while open.
    const verdict = await admitTo(deps.admission, start.client.name, { stream: true, tokens: 0, model: start.model });
    if (verdict instanceof ProxyError) return fail(start, verdict);
    const use = start.client.credential && new CredentialUse(start.client.credential);
    if (use && !(await use.acquire())) return fail(start, credentialUnavailable(), verdict);
    if (start.socket.destroyed) return verdict.end(NO_SPEND);
    handshake(start, verdict, use ? use.sign(start.client.upstream) : start.client.upstream);
  }

  /** The upgrade upstream; the ticket is settled by the session's end, or at once if none starts. */
  function handshake(start: SessionStart, ticket: Ticket, signing: UpstreamSigning): void {
    const { req, socket } = start;
    const secret = credentialSecret(signing.credential);
    let up: ClientRequest;
    try {
      up = deps.upstream.request('GET', start.path, upstreamUpgradeHeaders(upstreamRequestHeaders(req.headers, signing)), true);
    } catch {
      return fail(start, upgradeRefused(), ticket);
    }
    // The handshake is a small answer: the first-byte timeout covers connecting and waiting for it.
    up.setTimeout(config.upstream.firstByteTimeoutMs, () => up.destroy(firstByteTimeout()));
    const abandon = () => {
      up.destroy();
      ticket.end(NO_SPEND);
    };
    socket.once('close', abandon);
    up.on('error', (err: NodeJS.ErrnoException) => fail(start, classifyUpstreamError(err, false), ticket));
    up.on('response', (res) => {
      ticket.end(NO_SPEND);
      refuseUpstreamAnswer(start, res, secret, deps.recorder);
    });
    up.on('upgrade', (res, upSocket: Socket, upHead: Buffer) => {
      socket.off('close', abandon);
      up.setTimeout(0);
      if (socket.destroyed) return void abandon();
      socket.write(switchingHead(res, secret));
      const { session, ended } = startAccountedSession(start, { upstream: upSocket, upstreamHead: upHead, response: res }, deps, ticket);
      sessions.set(session, ended);
      void ended.then(() => sessions.delete(session));
    });
    up.end();
  }

  function fail(start: SessionStart, err: ProxyError, ticket?: Ticket): void {
    ticket?.end(NO_SPEND);
    if (err instanceof UpstreamError) metrics.upstreamErrors.with(err.reason).inc();
    if (start.socket.destroyed) return;
    refuseSocket(start.socket, err);
    deps.recorder.refused(start.req, { status: err.status, endpoint: start.endpoint, client: start.client.name, code: err.code, startedAt: start.startedAt });
  }

  return {
    handle,
    openSessions: () => sessions.size,
    /** Closes every session with `code` (SIGTERM after the grace period); resolves once all have ended. */
    async closeAll(code: number, reason: string): Promise<void> {
      const ending = [...sessions.values()];
      for (const session of sessions.keys()) session.close(code, reason);
      await Promise.all(ending);
    },
  };
}

export type UpgradeHandler = ReturnType<typeof createUpgradeHandler>;
