// Env-only single-tenant mode (no config file, no models list) used to label every request model="other",
// so the tokens-by-model panel showed one line. Now the first 50 distinct names seen are labels, plus those in
// PROXY_MODELS (or models:), and only names beyond them are "other".
import t from 'tap';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant, type Stack } from '../helpers/stack';

const chat = (stack: Stack, model: string) =>
  request(`${stack.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...stack.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [] }),
  });

const metricsOf = async (stack: Stack) => (await request(`${stack.proxy.adminUrl}/metrics`)).text;

t.test('no models list: the model names sent are the labels', async (t) => {
  const stack = await startSingleTenant(t);
  t.equal((await chat(stack, 'gpt-4.1-mini')).status, 200);
  t.equal((await chat(stack, 'gpt-4.1')).status, 200);
  await stack.proxy.waitForLog(() => stack.proxy.logs.filter((l) => l.event === 'request').length === 2);
  const metrics = await metricsOf(stack);
  for (const model of ['gpt-4.1-mini', 'gpt-4.1']) {
    t.match(metrics, new RegExp(`^openai_proxy_requests_total\\{[^}]*model="${model.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm'), `requests labelled ${model}`);
    t.match(
      metrics,
      new RegExp(`^openai_proxy_tokens_total\\{[^}]*model="${model.replace(/\./g, '\\.')}"[^}]*kind="input"[^}]*\\} \\d+$`, 'm'),
      `tokens labelled ${model}`,
    );
  }
  t.notMatch(metrics, /model="other"/, 'nothing is other');
  await noKeyLeak(t, stack);
});

t.test('PROXY_MODELS are labels beside the first 50 names; later names are other', async (t) => {
  const stack = await startSingleTenant(t, { env: { PROXY_MODELS: 'gpt-4.1-mini, o3' } });
  for (let i = 0; i < 50; i++) await chat(stack, `made-up-${i}`);
  await chat(stack, 'one-too-many');
  await chat(stack, 'o3');
  await stack.proxy.waitForLog(() => stack.proxy.logs.filter((l) => l.event === 'request').length === 52);
  const metrics = await metricsOf(stack);
  t.match(metrics, /^openai_proxy_requests_total\{[^}]*model="made-up-49"[^}]*\} 1$/m, 'the 50th distinct name is a label');
  t.notMatch(metrics, /one-too-many/, 'the 51st is not');
  t.match(metrics, /^openai_proxy_requests_total\{[^}]*model="other"[^}]*\} 1$/m, 'it is other');
  t.match(metrics, /^openai_proxy_requests_total\{[^}]*model="o3"[^}]*\} 1$/m, 'a PROXY_MODELS name is a label even after 50 others');
  await noKeyLeak(t, stack);
});
