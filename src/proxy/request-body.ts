import type { IncomingMessage } from 'node:http';
import type { StreamUsage, UpstreamConfig } from '../config/types';
import type { Target } from '../keys/chains';
import type { RequestDescription } from '../usage/request';
import { askForUsage, mayAskForUsage } from './stream-usage';
import type { DeadlineSweep } from './deadlines';
import type { Upstream } from './upstream';
import { GATHERED_BODY_BYTES, READ_BODY_BYTES, Upload, bodyModeOf } from './upload';

/**
 * A request's body as each attempt sends it. It is gathered whole when small, and up to a larger bound when the
 * request may need it read or sent again (usage to ask for, a fallback to replay it to): only then is a body of
 * that size held in memory. Each upstream gets it as the client sent it, or with usage asked for when that
 * upstream's `streamUsage` is `inject`.
 */
/** How much of a streamed body is read for its model before anything is sent, for a client with allowedModels. */
const PEEKED_BODY_BYTES = 64 * 1024;

export class RequestBody {
  readonly upload: Upload;
  /** The bytes the current attempt sent (the body, or its rewrite). */
  sending: Buffer | undefined;
  private description: RequestDescription | undefined;
  private rewrite: Buffer | undefined | null = null;
  private readonly askable: ReadonlySet<StreamUsage>;

  constructor(
    private readonly req: IncomingMessage,
    path: string,
    chain: readonly Target[],
    upstreams: ReadonlyMap<string, Upstream>,
    private readonly fallbackLimit: number,
    /** The client has `allowedModels`: the body's model must be read before anything is sent. */
    readsModel: boolean,
  ) {
    const modes = new Set(chain.map((t) => upstreams.get(t.upstream)!.config.streamUsage).filter((mode) => mayAskForUsage(req, path, mode)));
    this.askable = modes;
    let limit = GATHERED_BODY_BYTES;
    if (modes.size > 0 || readsModel) limit = Math.max(limit, READ_BODY_BYTES);
    if (chain.length > 1) limit = Math.max(limit, fallbackLimit);
    this.upload = new Upload(req, bodyModeOf(req, limit));
  }

  /**
   * Calls `ready` once what must be read before sending has arrived: the whole body when it is gathered; the start
   * of a streamed one when its model must be read first (`readsModel`, `head`); else at once. A read that stalls
   * past `stall.ms` calls `stall.onStall`.
   */
  read(readsModel: boolean, stall: { deadlines: DeadlineSweep; onStall: () => void; ms: number }, ready: (head?: Buffer) => void): void {
    const { upload } = this;
    const peeks = upload.mode === 'stream' && readsModel;
    if (upload.mode !== 'whole' && !peeks) return ready();
    stall.deadlines.add(stall.onStall, stall.ms);
    const done = (head?: Buffer) => {
      stall.deadlines.remove(stall.onStall);
      ready(head);
    };
    if (peeks) upload.peek(PEEKED_BODY_BYTES, done);
    else upload.gather(done);
  }

  described(description: RequestDescription): void {
    this.description = description;
  }

  /** The body for an attempt to `upstream`: `rewritten` asks for usage, when it does so and the client did not. */
  forUpstream(upstream: UpstreamConfig): { whole?: Buffer; rewritten?: Buffer } {
    const whole = this.upload.whole;
    const rewritten = this.askable.has(upstream.streamUsage) ? this.rewritten() : undefined;
    this.sending = rewritten ?? whole;
    return { whole, rewritten };
  }

  private rewritten(): Buffer | undefined {
    if (this.rewrite === null) {
      const { whole } = this.upload;
      const description = this.description;
      this.rewrite = whole && description?.stream ? askForUsage(whole, description.json)?.body : undefined;
    }
    return this.rewrite;
  }

  /** Whether the same upstream may be sent it once more (a stale connection, a renewed credential). */
  get resendable(): boolean {
    return this.upload.mode !== 'stream';
  }

  /** Whether a fallback may be sent it: held in memory, and within `upstream.fallbackBodyLimitBytes`. */
  get replayable(): boolean {
    return this.upload.mode === 'none' || (this.upload.mode === 'whole' && this.upload.bytes <= this.fallbackLimit);
  }

  /**
   * The tokens a request reserves and an estimate counts as input: `ceil(bytes / 4)` of a JSON body (its
   * announced length while it has not arrived), 0 for any other.
   */
  get reservation(): number {
    if (this.req.headers['content-type']?.startsWith('application/json') !== true) return 0;
    return Math.ceil(Math.max(this.upload.bytes, Number(this.req.headers['content-length']) || 0) / 4);
  }

  /** Nothing sends it again: let it go (a stream can stay open for minutes, and its prompt with it). */
  release(): void {
    this.upload.whole = undefined;
    this.rewrite = undefined;
    this.sending = undefined;
  }
}
