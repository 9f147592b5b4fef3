// GET /v1/models and /v1/models/{id} through the SDK.
import t from 'tap';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK models.list and models.retrieve', async (t) => {
  const s = await startSingleTenant(t);
  const client = s.sdk();
  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  t.ok(ids.includes('gpt-4.1-mini'), 'list arrived');
  t.equal(s.up.lastRequest()!.method, 'GET');
  const one = await client.models.retrieve('gpt-4.1');
  t.equal(one.id, 'gpt-4.1');
  t.equal(s.up.lastRequest()!.url, '/v1/models/gpt-4.1');
  await noKeyLeak(t, s);
});
