// A 502 says why: the request's log line names the upstream (its name and URL) and the cause (Node's error code and words, the
// TLS complaint) for a refused connection, a name that does not resolve and a certificate that does not
// verify. Before, all three logged only `upstream_unreachable`. No key appears (startProxy's guard).
import t, { type Test } from 'tap';
import { request } from '../helpers/http';
import { closedPort } from '../helpers/ports';
import { randomKey, startProxy, type LogLine } from '../helpers/proxy';
import { startRawUpstream } from '../helpers/raw-upstream';

async function failedLine(t: Test, upstream: string): Promise<LogLine> {
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const res = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-api-key': clientKey }, body: '{}', timeoutMs: 30_000 });
  t.equal(res.status, 502);
  t.notMatch(res.text, /ECONN|ENOTFOUND|EAI_AGAIN|SELF_SIGNED|UNABLE_TO/, 'the client gets the stable code, not the internals');
  return proxy.waitForLog((l) => l.event === 'request' && l.status === 502);
}

t.test('connection refused', async (t) => {
  const port = await closedPort();
  const line = await failedLine(t, `https://127.0.0.1:${port}`);
  t.match(line, {
    error: 'upstream_unreachable',
    upstream: 'primary',
    upstreamUrl: `https://127.0.0.1:${port}`,
    cause: { reason: 'unreachable', code: 'ECONNREFUSED', message: new RegExp(`127\\.0\\.0\\.1:${port}`) },
  });
});

t.test('DNS failure', async (t) => {
  const line = await failedLine(t, 'https://api.openai-proxy-test.invalid');
  t.match(line, {
    upstreamUrl: 'https://api.openai-proxy-test.invalid',
    cause: { reason: 'unreachable', code: /^(ENOTFOUND|EAI_AGAIN)$/, message: /api\.openai-proxy-test\.invalid/ },
  });
});

t.test('TLS: a certificate that does not verify', async (t) => {
  const rogue = await startRawUpstream(t, { cert: 'rogue', answer: (_head, socket) => socket.end() });
  const line = await failedLine(t, rogue.url);
  t.match(line, { upstream: 'primary', upstreamUrl: rogue.url, cause: { reason: 'tls', code: /SELF_SIGNED|UNABLE_TO_VERIFY/, message: /certificate/ } });
});
