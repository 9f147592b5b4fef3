// A caller with a ServiceAccount token and no proxy key: the official SDK reads the projected token file on
// every request (an async apiKey function), the proxy maps namespace/name to its client, swaps in the upstream
// key, and the token goes nowhere else: not upstream, not into a log line, not into /metrics. Key clients work
// beside it, and the JWKS was fetched over TLS with the proxy's own API token.
import t from 'tap';
import OpenAI from 'openai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchText } from '../helpers/proxy';
import { request } from '../helpers/http';
import { startServiceAccountStack } from '../helpers/service-account-stack';

t.test('ServiceAccount callers are their client, key callers theirs', async (t) => {
  const s = await startServiceAccountStack(t);
  t.same(
    s.jwks!.requests.map((r) => r.authorization),
    [`Bearer ${s.keys.apiToken}`],
    "the JWKS was fetched once, with the proxy's own token",
  );
  const listening = s.proxy.logs.find((l) => l.event === 'listening')!;
  t.match(listening.serviceAccounts, { issuer: 'https://kubernetes.default.svc.cluster.local', audience: 'openai-proxy', jwks: s.jwks!.url });

  // The caller's side, as the README shows it: the kubelet rewrites the file, the SDK reads it per request.
  const tokenFile = join(s.dir, 'caller-token');
  await writeFile(tokenFile, s.mint());
  const client = new OpenAI({ baseURL: `${s.proxy.url}/v1`, apiKey: async () => (await readFile(tokenFile, 'utf8')).trim(), maxRetries: 0 });
  const first = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.ok(first.choices[0]?.message, 'a completion came back');
  t.equal(s.upstream.lastRequest()!.headers.authorization, `Bearer ${s.keys.upstream}`, 'upstream got the upstream key');

  await writeFile(tokenFile, s.mint(s.key, { serviceAccount: 'chatbot' }));
  const stream = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'count' }], stream: true });
  let chunks = 0;
  for await (const _ of stream) chunks++;
  t.ok(chunks > 1, 'a rotated token file works at the next request, streaming too');

  await writeFile(tokenFile, s.mint(s.key, { namespace: 'team-b', serviceAccount: 'batch-worker' }));
  await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });

  const alice = new OpenAI({ baseURL: `${s.proxy.url}/v1`, apiKey: s.keys.alice, maxRetries: 0 });
  await alice.models.list();

  await s.proxy.waitForLog(() => s.proxy.logs.filter((l) => l.event === 'request').length >= 4);
  const lines = s.proxy.logs.filter((l) => l.event === 'request');
  t.same(
    lines.map((l) => [l.client, l.serviceAccount, l.status]),
    [
      ['team-a', 'team-a/chatbot', 200],
      ['team-a', 'team-a/chatbot', 200],
      ['team-a', 'team-b/batch-worker', 200],
      ['alice', undefined, 200],
    ],
    'the access log names the client and, for tokens, namespace/name',
  );
  const metrics = (await fetchText(`${s.proxy.adminUrl}/metrics`)).text;
  t.match(
    metrics,
    /openai_proxy_requests_total\{client="team-a",endpoint="\/v1\/chat\/completions",method="POST",status="200",model="gpt-4.1-mini"\} 2/,
    'metrics by client name',
  );
  t.notMatch(metrics, /batch-worker|chatbot/, 'no ServiceAccount name becomes a label');
  t.match(metrics, /openai_proxy_jwks_refreshes_total\{result="success"\} 1/);
  for (const rec of s.upstream.requests)
    t.notOk(
      rec.rawHeaders.some((h) => h.startsWith('eyJ')),
      `${rec.url}: no token in any upstream header`,
    );

  t.equal((await request(`${s.proxy.url}/v1/models`, { headers: { authorization: 'Bearer wrong-key' } })).status, 401, 'a wrong key is still refused');
  t.equal(await s.proxy.stop(), 0);
});
