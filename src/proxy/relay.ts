import { finished, type Readable, type Writable } from 'node:stream';

export interface Relay {
  /** The data keeps flowing, but a failure of either side no longer destroys the other. */
  disarm(): void;
  /** Disarms, and stops moving data: what the source still emits is not written. */
  stop(): void;
}

/**
 * `stream.pipeline` for exactly two streams, with the same outcome rules: backpressure, and if either side
 * fails or closes early, both are destroyed and `done` gets the error, once (until disarmed: then the caller
 * decides, e.g. once the upstream has answered before the upload ended).
 *
 * Why not `pipeline` itself: in Node 20 every call allocates an AbortController and aborts it when the
 * pipeline settles, which constructs a DOMException (stack trace included) per call. On the small-request path
 * that alone took a minimal proxy from about 14,500 to 9,300 requests/s on the benchmark machine
 * (test/bench, README "Performance"). This keeps the semantics and drops the signal.
 */
export function relay(source: Readable, destination: Writable, done: (err?: Error) => void): Relay {
  let settled = false;
  const settle = (err?: Error | null) => {
    if (settled) return;
    settled = true;
    stopSource();
    stopDestination();
    if (err) {
      source.destroy();
      destination.destroy();
    }
    done(err ?? undefined);
  };
  // The source ending is not the end of the relay (the destination may still be flushing); its failure is.
  const stopSource = finished(source, { writable: false }, (err) => err && settle(err));
  const stopDestination = finished(destination, { readable: false }, settle);
  const unpipe = pipeAfterReads(source, destination);
  const disarm = () => {
    settled = true;
    stopSource();
    stopDestination();
  };
  const stop = () => {
    disarm();
    unpipe();
  };
  return { disarm, stop };
}

/**
 * `source.pipe(destination)`, except that what the source emits during one turn of the event loop is written
 * after that turn's reads (setImmediate), corked into one write. Written from inside the reads, as pipe does,
 * a chunk can hit an upstream that has just answered and closed: the write fails, Node destroys the socket,
 * and the answer waiting unread on it is lost (an early 413 became a 502). Written after them, the answer has
 * been read first. Returns `unpipe`.
 */
function pipeAfterReads(source: Readable, destination: Writable): () => void {
  let batch: Buffer[] = [];
  let scheduled = false;
  let ended = false;
  const resume = () => source.resume();
  const flush = () => {
    scheduled = false;
    if (destination.destroyed || destination.writableEnded) {
      batch = [];
      return;
    }
    const chunks = batch;
    batch = [];
    destination.cork();
    let below = true;
    for (const chunk of chunks) below = destination.write(chunk);
    destination.uncork();
    if (ended) destination.end();
    else if (!below) {
      source.pause();
      destination.once('drain', resume);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  const onData = (chunk: Buffer) => {
    batch.push(chunk);
    schedule();
  };
  const onEnd = () => {
    ended = true;
    schedule();
  };
  source.on('data', onData);
  source.once('end', onEnd);
  return () => {
    source.removeListener('data', onData);
    source.removeListener('end', onEnd);
    destination.removeListener('drain', resume);
    batch = [];
    ended = false;
  };
}
