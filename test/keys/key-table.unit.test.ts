import t from 'tap';
import { buildKeyTable, digestOf, presentedKey } from '../../src/keys/key-table';
import { keyCaller } from '../helpers/callers';
import { loadConfig } from '../../src/config/config';

t.test('the client key comes from X-API-Key, else Authorization: Bearer', async (t) => {
  t.equal(presentedKey({ 'x-api-key': 'a', authorization: 'Bearer b' }), 'a');
  t.equal(presentedKey({ authorization: 'Bearer b' }), 'b');
  t.equal(presentedKey({ authorization: 'bearer  b ' }), 'b');
  t.equal(presentedKey({ authorization: 'Basic Yjp' }), undefined);
  t.equal(presentedKey({ authorization: 'Bearer ' }), undefined);
  t.equal(presentedKey({ 'x-api-key': '' }), undefined);
  t.equal(presentedKey({}), undefined);
});

const yaml = `
upstream: { apiKey: { value: sk-default } }
clients:
  - { name: alice, key: { file: /keys/alice }, upstreamKey: { value: sk-alice }, headers: { openai-project: proj_a } }
  - { name: bob, key: { sha256: ${digestOf('bob-key-long-enough')} } }
  - { name: carol, key: { env: CAROL_KEY } }
`;

t.test('multi-tenant lookup: each client, its upstream key and headers; file keys one per line', async (t) => {
  const env = { PROXY_CONFIG: '/p', CAROL_KEY: 'carol-key-long-enough' };
  const { config } = loadConfig(env, () => yaml);
  const { table, problems } = buildKeyTable(config!, env, new Map([['/keys/alice', 'alice-old-long-enough\nalice-new-long-enough\n']]));
  t.same(problems, []);
  const who = (key: string) => keyCaller(table!, { 'x-api-key': key });
  t.equal(who('alice-old-long-enough')?.name, 'alice');
  t.equal(who('alice-new-long-enough')?.name, 'alice');
  t.equal(who('bob-key-long-enough')?.name, 'bob');
  t.equal(who('carol-key-long-enough')?.name, 'carol');
  t.equal(who('nobody'), undefined);
  t.equal(who(digestOf('bob-key-long-enough')), undefined, 'the stored digest is not itself a key');
  t.same(who('alice-new-long-enough')!.upstream.credential, { header: 'authorization', value: 'Bearer sk-alice' });
  t.same(who('alice-new-long-enough')!.upstream.extra, { 'openai-project': 'proj_a' });
  t.same(who('bob-key-long-enough')!.upstream.credential, { header: 'authorization', value: 'Bearer sk-default' });
  t.equal(who('bob-key-long-enough')!.upstreamKeyFingerprint, digestOf('sk-default').slice(0, 8));
});

t.test('empty secrets and shared keys are problems named by setting', async (t) => {
  const env = { PROXY_CONFIG: '/p', CAROL_KEY: 'bob-key-long-enough' };
  const { config } = loadConfig(env, () => yaml);
  const { table, problems } = buildKeyTable(config!, env, new Map([['/keys/alice', '  \n']]));
  t.equal(table, undefined);
  t.same(problems.map((p) => p.setting).sort(), ['clients[0].key', 'clients[2].key']);
  t.notOk(JSON.stringify(problems).includes('bob-key-long-enough'), 'no key in the messages');
});

t.test('PROXY_AUTH=none: every caller is the default client', async (t) => {
  const env = { PROXY_AUTH: 'none', HOST: '127.0.0.1', OPENAI_API_KEY: 'sk-x' };
  const { table } = buildKeyTable(loadConfig(env).config!, env, new Map());
  t.equal(keyCaller(table!, {})?.name, 'default');
  t.same(keyCaller(table!, {})!.upstream.credential, { header: 'authorization', value: 'Bearer sk-x' });
});
