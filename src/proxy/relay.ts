import { finished, type Readable, type Writable } from 'node:stream';

/**
 * `stream.pipeline` for exactly two streams, with the same outcome rules: backpressure through `pipe`, and if
 * either side fails or closes early, both are destroyed and `done` gets the error, once.
 *
 * Why not `pipeline` itself: in Node 20 every call allocates an AbortController and aborts it when the
 * pipeline settles, which constructs a DOMException (stack trace included) per call. On the small-request path
 * that alone took a minimal proxy from about 14,500 to 9,300 requests/s on the benchmark machine
 * (test/bench, README "Performance"). This keeps the semantics and drops the signal.
 *
 * Returns `disarm`: the data keeps flowing, but a failure of either side no longer destroys the other (the
 * exchange takes over the outcome, e.g. once the upstream has answered before the upload ended).
 */
export function relay(source: Readable, destination: Writable, done: (err?: Error) => void): () => void {
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
  source.pipe(destination);
  return () => {
    settled = true;
    stopSource();
    stopDestination();
  };
}
