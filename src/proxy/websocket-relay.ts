import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/types';
import type { Client } from '../keys/key-table';
import type { Metrics } from '../observability/metrics';
import type { Usage } from '../usage/tap';
import { type Session, type SessionOutcome, startSession } from '../websocket/session';
import { usageOfEvent } from '../websocket/usage';
import { CLOSE } from '../websocket/frames';
import { NO_SPEND, type Ticket } from '../limits';
import { type AdmissionDeps, priced } from './admission';
import type { Recorder } from './access-log';
import type { Outcome } from './outcome';

/** An upgrade that passed every check, on its way upstream. */
export interface SessionStart {
  req: IncomingMessage;
  socket: Socket;
  /** What the client sent after its upgrade request. */
  head: Buffer;
  client: Client;
  serviceAccount: string | undefined;
  endpoint: string;
  /** The canonical path and query sent upstream. */
  path: string;
  /** The upstream's name (the primary: sessions have no fallback). */
  upstream: string;
  /** Realtime names the model in the query (`?model=`); its events often do not. */
  model: string | undefined;
  startedAt: number;
}

export interface UpstreamSide {
  upstream: Socket;
  upstreamHead: Buffer;
  response: IncomingMessage;
}

/**
 * A switched session, relayed and accounted for: its usage summed from the server's counted events, its messages
 * and unread ones in the metrics, and one access log line (status 101) when it ends.
 */
export function startAccountedSession(
  start: SessionStart,
  side: UpstreamSide,
  deps: { config: Config; metrics: Metrics; recorder: Recorder; admission: AdmissionDeps },
  ticket: Ticket,
): { session: Session; ended: Promise<void> } {
  const { metrics } = deps;
  const name = start.client.name;
  const ttfbMs = performance.now() - start.startedAt;
  const usage: Usage = { input: 0, output: 0, cachedInput: 0, reasoning: 0, estimated: false };
  let counted = false;
  let costUsd: number | undefined;
  let model = start.model;
  let done!: () => void;
  const ended = new Promise<void>((resolve) => {
    done = resolve;
  });
  // The session's own idle timeout governs from here, not the HTTP server's.
  start.socket.setTimeout(0);
  metrics.websocketSessions.with(name).inc();
  const session = startSession({
    client: start.socket,
    clientHead: start.head,
    upstream: side.upstream,
    upstreamHead: side.upstreamHead,
    extensions: side.response.headers['sec-websocket-extensions'],
    idleTimeoutMs: deps.config.upstream.idleTimeoutMs,
    onServerMessage: (text) => {
      const event = usageOfEvent(text);
      if (!event) return;
      counted = true;
      usage.input += event.usage.input;
      usage.output += event.usage.output;
      usage.cachedInput += event.usage.cachedInput;
      usage.reasoning += event.usage.reasoning;
      model ??= event.model;
      const cost = priced(deps.admission, model, { ...event.usage, estimated: false });
      if (cost.costUsd !== undefined) costUsd = (costUsd ?? 0) + cost.costUsd;
      // Budgets are checked after each counted response: one used up ends the session on both sides.
      const spent = ticket.add(cost.spend);
      if (spent instanceof Promise) void spent.then((budget) => budget && session.close(CLOSE.policyViolation, 'budget_exceeded'));
      else if (spent) session.close(CLOSE.policyViolation, 'budget_exceeded');
    },
    onUnreadable: (reason) => metrics.websocketUnread.with(name, reason).inc(),
    onEnd: (outcome) => {
      metrics.websocketSessions.with(name).dec();
      metrics.websocketMessages.with(name, 'from_client').inc(outcome.fromClient.messages);
      metrics.websocketMessages.with(name, 'from_upstream').inc(outcome.fromUpstream.messages);
      ticket.end(NO_SPEND); // every response was added as it came
      deps.recorder.proxied(sessionOutcome(start, outcome, { ttfbMs, usage: counted ? usage : undefined, model }), costUsd);
      done();
    },
  });
  return { session, ended };
}

function sessionOutcome(start: SessionStart, s: SessionOutcome, seen: { ttfbMs: number; usage: Usage | undefined; model: string | undefined }): Outcome {
  const closeCode = s.endedBy === 'proxy' ? s.closeCodes.proxy : s.endedBy === 'client' ? s.closeCodes.client : s.closeCodes.upstream;
  return Object.freeze({
    client: start.client.name,
    serviceAccount: start.serviceAccount,
    method: 'GET',
    endpoint: start.endpoint,
    path: start.path,
    upstream: start.upstream,
    attempts: 1,
    status: 101,
    bytesIn: s.fromClient.bytes,
    bytesOut: s.fromUpstream.bytes,
    durationMs: performance.now() - start.startedAt,
    ttfbMs: seen.ttfbMs,
    model: seen.model,
    stream: true,
    admitted: true,
    usage: seen.usage,
    upstreamRequestId: undefined,
    error: undefined,
    clientGone: s.endedBy === 'client' && s.cause === 'went_away',
    session: Object.freeze({
      messagesFromClient: s.fromClient.messages,
      messagesFromUpstream: s.fromUpstream.messages,
      endedBy: s.endedBy,
      closeCode,
    }),
  });
}
