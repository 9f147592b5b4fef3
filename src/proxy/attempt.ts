import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CredentialUse } from '../credentials/credential-use';
import { ProxyError } from '../http/errors';
import { credentialSecret, upstreamRequestHeaders } from '../http/headers';
import { switchedProtocols } from '../http/upstream-errors';
import type { Target } from '../keys/chains';
import type { DeadlineSweep } from './deadlines';
import { forwardInterim } from './interim';
import { rewrittenHeaders } from './stream-usage';
import { UpstreamTimers } from './timers';
import type { Upstream } from './upstream';

/** What an attempt tells the request it belongs to. */
export interface AttemptOwner {
  onResponse(attempt: Attempt, upRes: IncomingMessage): void;
  /** The upstream request failed (before or after the response head). */
  onError(attempt: Attempt, err: NodeJS.ErrnoException): void;
  /** A timeout or a response the proxy must not pass on. */
  onFailure(attempt: Attempt, err: ProxyError): void;
}

/**
 * One upstream request of a proxied request: to one upstream of the client's chain, signed for it, with its own
 * timers. A request makes a second attempt after a stale pooled connection, a 401 that renewed a keyless
 * credential, or a failure that moves it on to a fallback; events of an attempt that is no longer the current one
 * are ignored by its owner.
 */
export class Attempt {
  readonly timers: UpstreamTimers;
  /** Keyless: the short-lived token this attempt goes with. */
  readonly credential: CredentialUse | undefined;
  up: ClientRequest | undefined;
  /** The key or access token it went with, never handed back to the client. */
  secret = '';
  /** The body went up asking for usage on the client's behalf: the stream filter takes it back out. */
  askedForUsage = false;

  constructor(
    readonly route: Upstream,
    readonly target: Target,
    private readonly owner: AttemptOwner,
    deadlines: DeadlineSweep,
    credential: CredentialUse | undefined = target.credential && new CredentialUse(target.credential),
  ) {
    this.credential = credential;
    this.timers = new UpstreamTimers(route.config, deadlines, route.tls, (err) => owner.onFailure(this, err));
  }

  /** The same upstream and credential once more (after a stale connection, or a 401 that renewed the credential). */
  again(owner: AttemptOwner, deadlines: DeadlineSweep): Attempt {
    return new Attempt(this.route, this.target, owner, deadlines, this.credential);
  }

  /**
   * Sends the request head (and `whole`, when the body is gathered: `rewritten` when it asks for usage). Throws a
   * 400 ProxyError when Node will not send a header as the client gave it.
   */
  send(req: IncomingMessage, res: ServerResponse, path: string, body: { whole?: Buffer; rewritten?: Buffer }, fresh: boolean): ClientRequest {
    const signing = this.credential ? this.credential.sign(this.target.signing) : this.target.signing;
    this.secret = credentialSecret(signing.credential);
    this.askedForUsage = body.rewritten !== undefined;
    const headers: OutgoingHttpHeaders = upstreamRequestHeaders(req.headers, signing);
    let up: ClientRequest;
    try {
      up = this.route.request(req.method!, path, body.rewritten ? rewrittenHeaders(headers, body.rewritten) : headers, fresh);
    } catch (err) {
      // Node's outgoing header validation is stricter than its parser in corner cases: a 400, not a crash.
      throw new ProxyError(400, 'bad_request', 'The request has a header the proxy cannot forward.', { cause: err });
    }
    this.up = up;
    this.timers.track(up);
    up.on('information', (info) => {
      this.timers.interim();
      forwardInterim(res, info);
    });
    up.on('response', (upRes) => this.owner.onResponse(this, upRes));
    // Without a listener, Node drops an upgraded socket silently and the request would never end.
    up.on('upgrade', (_upRes, socket: Socket) => {
      socket.destroy();
      this.owner.onFailure(this, switchedProtocols());
    });
    up.on('error', (err) => this.owner.onError(this, err));
    return up;
  }

  /** Ends this attempt: its timers stop and its upstream request is destroyed. */
  abandon(): void {
    this.timers.stop();
    this.up?.destroy();
  }
}
