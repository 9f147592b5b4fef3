import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { clientResponseHeaders } from '../http/headers';
import type { Usage } from '../usage/tap';
import { HeldErrorResponse, redactableBody, redactHeaders } from './redaction';
import { ResponseCopy, filterableStream } from './response-copy';

/** The upstream's response on its way to the client, whichever way it goes. */
export interface ForwardedResponse {
  readonly bytesOut: number;
  /** What the response used, as reported or estimated; undefined for answers that are not billed. */
  usage(): Usage | undefined;
  stop(): void;
}

export interface ForwardOptions {
  method: string;
  /** The credential the request went with: never handed back to the client. */
  secret: string;
  /** The request went up asking for usage on the client's behalf: the usage is taken back out of a stream. */
  askedForUsage: boolean;
  /** Input tokens an estimate counts (`ceil(bytes / 4)` of a JSON body). */
  reservation: number;
  /** Called with the client's headers before they are written (an early answer closes the connection). */
  beforeHead(headers: OutgoingHttpHeaders): void;
  /** Node refused to write the head (a header it will not send): the response cannot be forwarded. */
  onHeadFailed(err: unknown): void;
}

/**
 * Writes the upstream's status and headers (less hop-by-hop, the credential redacted) and starts the body on its
 * way: piped and read by the usage tap, or, for an error answer that may echo the credential, held and redacted.
 * Returns undefined when the head could not be written.
 */
export function forwardResponse(upRes: IncomingMessage, res: ServerResponse, options: ForwardOptions): ForwardedResponse | undefined {
  const status = upRes.statusCode!;
  const filterUsage = options.askedForUsage && filterableStream(upRes);
  const headers = clientResponseHeaders(upRes.headers, status);
  if (options.secret) redactHeaders(headers, options.secret);
  if (filterUsage) delete headers['content-length'];
  options.beforeHead(headers);
  const writeHead = (final: OutgoingHttpHeaders) => {
    try {
      res.writeHead(status, final);
      return true;
    } catch (err) {
      upRes.resume();
      options.onHeadFailed(err);
      return false;
    }
  };
  if (options.secret && options.method !== 'HEAD' && redactableBody(upRes)) {
    return new HeldErrorResponse(upRes, res, Buffer.from(options.secret), writeHead, headers);
  }
  if (!writeHead(headers)) return undefined;
  // An estimate's input counts for answers the upstream bills (2xx) only.
  const billed = status >= 200 && status < 300;
  return new ResponseCopy(upRes, res, { filterUsage, reservation: billed ? options.reservation : 0 });
}
