// The injector as the chart renders it, run for real: started with the rendered INJECT_CONFIG and the
// rendered serving certificate, and reached the way the API server reaches it (the webhook's caBundle, the
// Service's DNS name). It patches a Deployment's Pod; the patched Pod's sidecar is then laid out as the kubelet
// would (its Secret named by the Pod; its settings are all in its env) and started with exactly its
// environment, and the app's own env (OPENAI_BASE_URL, the placeholder key) takes an OpenAI SDK call through
// it to a fake OpenAI with the Secret's key. Keyless, a Pod naming no Secret gets a sidecar that exchanges the
// Pod's own ServiceAccount token, and its request goes up with the access token.
import t from 'tap';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pod } from 'kubernetes-models/v1/Pod';
import { identityToken, startFakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { waitForStatus } from '../helpers/keyless';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from '../inject/rendered';
import { envOf, find, isInjector } from './helm';
import { layOutPod } from './pod-layout';

t.test('rendered injector -> patched Pod -> its sidecar proxies a request', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const { config, objs, tls } = renderInjector(dir, { set: [`upstream.baseUrl=${upstream.url}/v1`] });
  const injector = await startInjector(t, { config, cert: tls.cert, key: tls.key });

  const webhook = find(objs, 'MutatingWebhookConfiguration').webhooks[0];
  const service = webhook.clientConfig.service;
  t.equal(service.name, find(objs.filter(isInjector), 'Service').metadata.name);
  const pod = fixturePod('deployment-pod');
  const reply = await review(injector.url, admissionReview(pod), {
    ca: Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('utf8'),
    servername: `${service.name}.${service.namespace}.svc`,
  });
  t.equal(reply.status, 200, "reached over TLS trusting only the webhook's caBundle, as the API server does");
  const patched = patchedPod(pod, reply.json!.response);
  t.doesNotThrow(() => new Pod(patched as any).validate(), 'a valid Pod');

  const upstreamKey = randomKey('sk-test-upstream');
  const secretName = pod.metadata.annotations['openai-proxy.io/secret'];
  const { env } = layOutPod(patched, objs, join(dir, 'pod'), { [secretName]: { 'openai-api-key': upstreamKey } });
  t.equal(env.OPENAI_API_KEY, undefined, 'the key reaches the sidecar as a file only');
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' } });
  t.equal((await fetch(`${proxy.adminUrl}/readyz`)).status, 200, 'the sidecar is ready: its startup probe would pass');

  const app = envOf(patched.spec.containers.find((c: any) => c.name === 'web'));
  const baseURL = app.OPENAI_BASE_URL!.replace(':18443', `:${proxy.port}`);
  const sdk = new OpenAI({ apiKey: app.OPENAI_API_KEY, baseURL, maxRetries: 0 });
  const chat = await sdk.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(chat.choices[0]!.message.content, 'Hello from the fake upstream.');
  const seen = upstream.lastRequest()!;
  t.equal(seen.url, '/v1/chat/completions', "the chart's upstream.baseUrl, from the sidecar's env");
  t.ok(seen.headers.authorization === `Bearer ${upstreamKey}`, "the upstream got the Pod's Secret's openai-api-key");
  t.notOk(readFileSync(config, 'utf8').includes(upstreamKey), 'the sidecar template holds no key');
  await assertNoKeyLeak(t, proxy, [upstreamKey]);
});

t.test("keyless: the patched Pod's sidecar exchanges the Pod's own ServiceAccount token", async (t) => {
  const tokens = await startFakeTokenEndpoint({ t });
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const set = [`upstream.baseUrl=${upstream.url}/v1`, `upstream.workloadIdentity.tokenUrl=${tokens.tokenUrl}`];
  const { config, objs } = renderInjector(dir, { values: ['chart/ci/injector-keyless-values.yaml'], set });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  delete pod.metadata.annotations['openai-proxy.io/secret'];
  const patched = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);

  // What the kubelet writes for the chat-web ServiceAccount of team-a: the proxy exchanges whatever it finds.
  const podToken = identityToken({ sub: 'system:serviceaccount:team-a:chat-web' });
  const { env } = layOutPod(patched, objs, join(dir, 'pod'), {}, { serviceAccountToken: podToken });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' }, tokenEndpoint: tokens });
  await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  t.equal(tokens.exchanges[0]!.subjectToken, podToken, "the Pod's own token is exchanged");

  const app = envOf(patched.spec.containers.find((c: any) => c.name === 'web'));
  const sdk = new OpenAI({ apiKey: app.OPENAI_API_KEY, baseURL: app.OPENAI_BASE_URL!.replace(':18443', `:${proxy.port}`), maxRetries: 0 });
  const models = await sdk.models.list();
  t.ok(models.data.length > 0, 'the SDK call went through');
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${tokens.issued[0]}`, 'with the access token');
  t.equal(await proxy.stop(), 0);
});
