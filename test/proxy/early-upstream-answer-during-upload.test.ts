// RFC 9112 §9.6: an upstream that answers before it has read the whole upload (a 413 after the first MiB, a
// 401) must get its answer to the client, every time. The proxy used to destroy the client's socket with
// request bytes still unread, and the kernel's reset then often destroyed the answer before the client read it.
// Now the answer is forwarded with `Connection: close`, the rest of the body is read and discarded, and the
// connection closes the lingering way (as nginx's lingering close does). An upstream that resets its connection
// right after answering can beat its own answer to the proxy: the client then gets a JSON 502, never a reset.
import t from 'tap';
import type { TLSSocket } from 'node:tls';
import { randomKey, startProxy } from '../helpers/proxy';
import { uploadAndRead } from '../helpers/large-upload';
import { startRawUpstream } from '../helpers/raw-upstream';

const UPLOAD = 24 * 1024 * 1024;
const ANSWER_AFTER = 1024 * 1024;
const ROUNDS = 12;
const TOO_LARGE = '{"error":{"message":"too large","type":"invalid_request_error"}}';

/** How the upstream behaves once it has read ANSWER_AFTER bytes of the body. */
type Upstream = (socket: TLSSocket) => void;

const answer = (status: string, close: boolean) =>
  `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${TOO_LARGE.length}\r\n${close ? 'connection: close\r\n' : ''}\r\n${TOO_LARGE}`;

/** `wanted`: the statuses the client may get. */
const behaviours: Record<string, { upstream: Upstream; wanted: number[] }> = {
  // Answers, sends its FIN, and goes on reading (and discarding) what still arrives.
  '413 and a graceful close': { upstream: (socket) => socket.end(answer('413 Payload Too Large', true)), wanted: [413] },
  // Answers and keeps the connection, reading the rest of the body as a keep-alive server would.
  '401 on a connection it keeps': { upstream: (socket) => socket.write(answer('401 Unauthorized', false)), wanted: [401] },
  // Answers and closes at once with the body unread: its kernel resets the connection to the proxy.
  '413 and an immediate reset': { upstream: (socket) => socket.end(answer('413 Payload Too Large', true), () => socket.destroy()), wanted: [413, 502] },
};

for (const [name, { upstream, wanted }] of Object.entries(behaviours)) {
  t.test(`${name}: the client gets an answer, every time`, async (t) => {
    const answered = new WeakSet<TLSSocket>();
    const up = await startRawUpstream(t, {
      onBody: (bytes, socket) => {
        if (bytes < ANSWER_AFTER || answered.has(socket)) return;
        answered.add(socket);
        upstream(socket);
      },
    });
    const clientKey = randomKey('pk-test-client');
    const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
    const headers = { 'x-api-key': clientKey, 'content-type': 'application/octet-stream', 'content-length': UPLOAD };
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) outcomes.push(await uploadAndRead(proxy.port, '/v1/audio/transcriptions', headers, UPLOAD));
    const statuses = outcomes.map((outcome) => Number(/^\d{3}/.exec(outcome)?.[0] ?? 0));
    t.same(
      outcomes.filter((_, i) => !wanted.includes(statuses[i]!)),
      [],
      `${ROUNDS} uploads, each answered ${wanted.join(' or ')}`,
    );
    for (const [i, outcome] of outcomes.entries()) {
      if (statuses[i] === 502) t.match(JSON.parse(outcome.slice(4)), { error: { type: 'proxy_error', code: 'upstream_reset' } }, 'a 502 is the proxy JSON');
      else t.equal(outcome.slice(4), TOO_LARGE, "the upstream's own answer, whole");
    }
  });
}
