// Path tricks: absolute-form and authority-form request targets (`POST http://evil.example/v1/chat/
// completions`), even naming an allowed path, are refused (404, or 400 for authority form): the proxy is not a
// forward proxy, the client never chooses the host, and nothing goes upstream. (path-normalisation.test.ts
// covers absolute forms of paths outside the allowlist, and the Host header.)
import t from 'tap';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('absolute-form targets are refused even for an allowed path', async (t) => {
  const s = await startSingleTenant(t);
  const upstreamAuthority = `localhost:${s.up.port}`;
  // Authority form outside CONNECT is not even HTTP to Node's parser: 400.
  const targets: Array<[string, string, number, string]> = [
    ['POST', 'http://evil.example/v1/chat/completions', 404, 'endpoint_not_allowed'],
    ['POST', 'https://api.openai.com/v1/chat/completions', 404, 'endpoint_not_allowed'],
    ['GET', `https://${upstreamAuthority}/v1/models`, 404, 'endpoint_not_allowed'],
    ['GET', `http://127.0.0.1:${s.proxy.port}/v1/models`, 404, 'endpoint_not_allowed'],
    ['GET', 'HTTP://EVIL.EXAMPLE/v1/models', 404, 'endpoint_not_allowed'],
    ['GET', 'http://user:pass@evil.example/v1/models', 404, 'endpoint_not_allowed'],
    ['GET', 'evil.example:443', 400, 'bad_request'],
    ['GET', `${upstreamAuthority}/v1/models`, 400, 'bad_request'],
  ];
  for (const [method, target, status, code] of targets) {
    const body = method === 'POST' ? '{"model":"gpt-4.1-mini","messages":[]}' : '';
    const bytes = `${method} ${target} HTTP/1.1\r\nHost: evil.example\r\nX-API-Key: ${s.clientKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    await expectRefused(t, s, `${method} ${target}`, bytes, { status, code });
  }
  t.equal(s.up.sockets.length, 0, 'the proxy never even connected upstream');
});
