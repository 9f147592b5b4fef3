import type { IncomingMessage, ServerResponse } from 'node:http';
import { UsageTap, type Usage } from '../usage/tap';
import { IncludedUsageStream } from '../usage/usage-filter';

export interface ResponseCopyOptions {
  /** The request went upstream asking for usage the client did not ask for: take it back out of the stream. */
  filterUsage: boolean;
  /** Input tokens to count if the response reports none (`ceil(bytes / 4)` of a JSON body, else 0). */
  reservation: number;
}

const ignoreUsage = () => {};

/**
 * The upstream's response on its way to the client: piped (through the stream-usage filter when the request
 * asked for usage on the client's behalf), its bytes counted as the client gets them, and read on the side by
 * the usage tap, which sees the upstream's bytes (the usage chunk included) after each is on its way.
 *
 * No relay here: the outcome rules are the proxied request's. A client that leaves closes `res`, which
 * destroys the upstream request; an upstream failure errors `upRes`, which cuts the client.
 */
export class ResponseCopy {
  bytesOut = 0;
  private readonly tap: UsageTap;
  private readonly filter: IncludedUsageStream | undefined;

  constructor(upRes: IncomingMessage, res: ServerResponse, options: ResponseCopyOptions) {
    const { headers } = upRes;
    this.tap = new UsageTap(headers['content-type'], headers['content-encoding'], options.reservation);
    if (options.filterUsage) {
      // The tap reads the upstream's own bytes, so the filter's copy of the usage is not needed.
      this.filter = new IncludedUsageStream(ignoreUsage);
      upRes.pipe(this.filter).pipe(res);
      this.filter.on('data', (chunk: Buffer) => {
        this.bytesOut += chunk.length;
      });
      upRes.on('data', (chunk: Buffer) => this.tap.write(chunk));
    } else {
      upRes.pipe(res);
      // Registered after pipe's own listener, so each chunk is on its way to the client before the tap reads it.
      upRes.on('data', (chunk: Buffer) => {
        this.bytesOut += chunk.length;
        this.tap.write(chunk);
      });
    }
  }

  /** What the response used: as reported, or an estimate when it ended (or was cut) without usage. */
  usage(): Usage | undefined {
    return this.tap.end();
  }

  /** The response was cut: nothing more goes to the client. */
  stop(): void {
    this.filter?.destroy();
  }
}

/** Whether a response to a request sent with usage added carries a stream the filter can read. */
export function filterableStream(upRes: IncomingMessage): boolean {
  const status = upRes.statusCode ?? 0;
  const type = upRes.headers['content-type'];
  const encoding = upRes.headers['content-encoding'];
  return status >= 200 && status < 300 && type?.startsWith('text/event-stream') === true && (encoding === undefined || encoding === 'identity');
}
