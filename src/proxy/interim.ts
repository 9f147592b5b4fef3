import type { InformationEvent, ServerResponse } from 'node:http';

/**
 * An upstream's 1xx interim response. A proxy passes them on (RFC 9110 §15.2), to HTTP/1.1 clients only, and
 * Node can write two of them: 102 Processing and 103 Early Hints (its Link). A 100 Continue answers an
 * `Expect` the proxy never sends upstream (it answered the client's itself); other codes have no meaning Node
 * can write. Those are dropped, as a client may drop an interim response it does not expect.
 */
export function forwardInterim(res: ServerResponse, info: InformationEvent): void {
  if (res.req.httpVersionMinor === 0 || res.headersSent) return;
  if (info.statusCode === 102) return res.writeProcessing();
  const link = info.headers.link;
  if (info.statusCode !== 103 || link === undefined) return;
  try {
    res.writeEarlyHints({ link });
  } catch {
    // A Link value Node will not write (it checks the syntax) is dropped with the hint.
  }
}
