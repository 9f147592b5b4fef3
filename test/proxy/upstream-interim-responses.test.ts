// RFC 9110 §15.2: interim 1xx responses before the final one. The proxy passes 102 Processing and 103 Early
// Hints (with its Link) on to HTTP/1.1 clients, never to HTTP/1.0 ones; a 100 Continue (an Expect the proxy never
// sends upstream) and unassigned codes such as 199 are dropped. Every time the final response follows, whole,
// with the proxy's own headers (nginx 1.22 takes an upstream 1xx for the final response and passes the real one
// on as its body, then holds the connection until its read timeout).
import t from 'tap';
import { randomKey, startProxy } from '../helpers/proxy';
import { openRaw, responses } from '../helpers/raw-socket';
import { startRawUpstream } from '../helpers/raw-upstream';

const INTERIM: Record<string, string> = {
  '100': 'HTTP/1.1 100 Continue\r\n\r\n',
  '102': 'HTTP/1.1 102 Processing\r\n\r\n',
  '103': 'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style\r\n\r\n',
  '199': 'HTTP/1.1 199 Something\r\nx-a: b\r\n\r\n',
};
const FINAL = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_final\r\ncontent-length: 11\r\n\r\n{"ok":true}';

t.test('interim responses, then the final one', async (t) => {
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      socket.write(INTERIM[/\/v1\/models\/(\d+)/.exec(head)?.[1] ?? ''] ?? '');
      setTimeout(() => socket.write(FINAL), 50);
    },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const ask = async (code: string, version: string) => {
    const client = await openRaw(proxy.port);
    t.teardown(() => client.destroy());
    client.write(`GET /v1/models/${code} HTTP/${version}\r\nHost: x\r\nX-API-Key: ${clientKey}\r\n\r\n`);
    await client.waitFor(/\{"ok":true\}$/, 10_000, `the final response to ${code}`);
    return responses(client.received());
  };
  const forwarded: Record<string, number[]> = { '100': [200], '102': [102, 200], '103': [103, 200], '199': [200] };
  for (const [code, statuses] of Object.entries(forwarded)) {
    const answers = await ask(code, '1.1');
    t.same(
      answers.map((a) => a.status),
      statuses,
      `${code} to an HTTP/1.1 client: ${statuses.join(', ')}`,
    );
    t.match(answers.at(-1), { body: '{"ok":true}', head: /\r\nx-request-id: req_final\r\n/i }, `${code}: the final response, whole`);
  }
  t.match((await ask('103', '1.1'))[0]!.head, /\r\nLink: <\/style\.css>; rel=preload; as=style$/, 'the 103 carries its Link');
  for (const code of ['102', '103'])
    t.same(
      (await ask(code, '1.0')).map((a) => a.status),
      [200],
      `${code} to an HTTP/1.0 client: dropped`,
    );
});
