// PROXY_ENDPOINTS, comma-separated, is the environment form of the allowlist `endpoints:`: it replaces the
// file's list whole (as every env value replaces its file setting), each entry is held to the same rules, and
// a problem carries the same message, named by the variable and the entry's place in it.
import t from 'tap';
import { loadConfig } from '../../src/config/config';
import { DEFAULT_ENDPOINTS } from '../../src/http/routes';

const base = { OPENAI_API_KEY: 'sk-up', PROXY_X_API_KEY: 'client-key' };
const fileWith = (yaml: string) => (path: string) => {
  if (path !== '/p') throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return yaml;
};
const load = (env: Record<string, string>, yaml = '') => loadConfig({ ...base, ...env, ...(yaml ? { PROXY_CONFIG: '/p' } : {}) }, fileWith(yaml));

t.test('the list from the environment, entries trimmed, empty ones dropped', async (t) => {
  const { config, problems } = load({ PROXY_ENDPOINTS: ' /v1/responses, /v1/chat/completions ,,/v1/images/' });
  t.same(problems, []);
  t.same(config!.endpoints, ['/v1/responses', '/v1/chat/completions', '/v1/images/']);
});

t.test("it replaces the file's endpoints: whole", async (t) => {
  const yaml = 'endpoints: [/v1/embeddings, /v1/audio/]\n';
  t.same(load({}, yaml).config!.endpoints, ['/v1/embeddings', '/v1/audio/'], 'the file alone');
  t.same(load({ PROXY_ENDPOINTS: '/v1/responses' }, yaml).config!.endpoints, ['/v1/responses'], 'the variable wins, nothing merged');
});

t.test('unset or empty: the file, else the default allowlist', async (t) => {
  t.same(load({}).config!.endpoints, DEFAULT_ENDPOINTS);
  t.same(load({ PROXY_ENDPOINTS: '' }).config!.endpoints, DEFAULT_ENDPOINTS, 'an empty variable is unset, as every other');
  t.same(load({ PROXY_ENDPOINTS: '' }, 'endpoints: [/v1/embeddings]\n').config!.endpoints, ['/v1/embeddings']);
});

t.test("the file's rules and messages, named by the variable", async (t) => {
  const fromFile = load({}, "endpoints: [/v1/responses, v1/chat, /v1/../x, '/v1/models?x=1', //v1/a]\n").problems;
  const fromEnv = load({ PROXY_ENDPOINTS: '/v1/responses,v1/chat,/v1/../x,/v1/models?x=1,//v1/a' }).problems;
  t.same(
    fromEnv.map((p) => p.setting),
    ['PROXY_ENDPOINTS[1]', 'PROXY_ENDPOINTS[2]', 'PROXY_ENDPOINTS[3]', 'PROXY_ENDPOINTS[4]'],
  );
  t.same(
    fromEnv.map((p) => p.message),
    fromFile.map((p) => p.message),
    'the same message as the same entry in the file',
  );
  t.same(
    fromFile.map((p) => p.setting),
    ['endpoints[1]', 'endpoints[2]', 'endpoints[3]', 'endpoints[4]'],
  );
  t.match(fromEnv[0], { message: 'must be a normalised path starting with / (no query, no dot segments, no //)' });
});

t.test('nothing but commas names no path', async (t) => {
  const { config, problems } = load({ PROXY_ENDPOINTS: ' , ,' });
  t.equal(config, undefined, 'no config: the process would not start');
  t.same(problems, [{ setting: 'PROXY_ENDPOINTS', message: 'must name at least one path (omit it for the default list)' }]);
});

t.test("a valid variable hides a bad file list: the file's setting is replaced, not read", async (t) => {
  const { config, problems } = load({ PROXY_ENDPOINTS: '/v1/responses' }, 'endpoints: [v1/bad]\n');
  t.same(problems, []);
  t.same(config!.endpoints, ['/v1/responses']);
});
