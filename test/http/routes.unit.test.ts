import t from 'tap';
import { DEFAULT_ENDPOINTS, MAX_PATH_LENGTH, matchEndpoint, normaliseTarget } from '../../src/http/routes';

t.test('plain paths pass through with their query untouched', async (t) => {
  t.same(normaliseTarget('/v1/chat/completions'), { path: '/v1/chat/completions', query: '' });
  t.same(normaliseTarget('/v1/models?limit=2&after=a%2Fb'), { path: '/v1/models', query: 'limit=2&after=a%2Fb' });
  t.same(normaliseTarget('/v1/images/'), { path: '/v1/images/', query: '' });
});

t.test('dot segments and empty segments are resolved before matching', async (t) => {
  t.equal(normaliseTarget('/v1/chat/../models')?.path, '/v1/models');
  t.equal(normaliseTarget('/v1/./embeddings')?.path, '/v1/embeddings');
  t.equal(normaliseTarget('//v1//embeddings')?.path, '/v1/embeddings');
  t.equal(normaliseTarget('/v1/models/%2e%2e/x')?.path, '/v1/x');
  t.equal(normaliseTarget('/v1/models/%2E/gpt')?.path, '/v1/models/gpt');
  t.equal(normaliseTarget('/v1/chat/completions/..')?.path, '/v1/chat');
});

t.test('targets that could change the path shape are refused', async (t) => {
  for (const target of [
    '',
    '*',
    'http://evil.example/v1/chat/completions',
    'evil.example:443',
    '/..',
    '/v1/../../etc/passwd',
    '/%2e%2e/v1/models',
    '/v1/models%2f..%2f..%2fadmin',
    '/v1/models%2F',
    '/v1%5cmodels',
    '/v1\\models',
    '/v1/models%00',
    '/v1/models\0',
    '/v1/mo dels',
    '/v1/models%zz',
    '/v1/models%2',
    '/v1/models%0a',
    `/${'a'.repeat(MAX_PATH_LENGTH)}`,
  ]) {
    t.equal(normaliseTarget(target), undefined, JSON.stringify(target.slice(0, 60)));
  }
});

t.test('what a server decoding again could read as a dot segment is refused', async (t) => {
  for (const target of [
    '/v1/models/%252e%252e/%252e%252e/files', // %25: decoded twice, `..`
    '/v1/audio/..;/..;/files', // servlet path parameters: `..;` reads as `..`
    '/v1/audio/..%3b/files',
    '/v1/audio/%c0%ae%c0%ae/files', // overlong UTF-8 for `.`
    '/v1/audio/%e0%80%ae/x',
    '/v1/images/\uff0e\uff0e/files', // fullwidth dots, `..` under NFKC (as latin1 bytes from Node: non-ASCII)
    '/v1/images/\xef\xbc\x8e\xef\xbc\x8e/files',
    '/v1/models/caf%C3%A9',
    '/v1/models/%7f',
  ]) {
    t.equal(normaliseTarget(target), undefined, JSON.stringify(target));
  }
});

t.test('percent-escapes of reserved characters stay escaped, upper-cased', async (t) => {
  t.equal(normaliseTarget('/v1/models/ft%3agpt%3a1')?.path, '/v1/models/ft%3Agpt%3A1');
  t.equal(normaliseTarget('/v1/models/%61bc')?.path, '/v1/models/abc');
});

t.test('allowlist: prefixes with / admit sub-paths, others admit themselves and children only', async (t) => {
  t.equal(matchEndpoint('/v1/chat/completions', DEFAULT_ENDPOINTS), '/v1/chat/completions');
  t.equal(matchEndpoint('/v1/chat/completions/abc/messages', DEFAULT_ENDPOINTS), '/v1/chat/completions');
  t.equal(matchEndpoint('/v1/models/gpt-4.1', DEFAULT_ENDPOINTS), '/v1/models');
  t.equal(matchEndpoint('/v1/images/edits', DEFAULT_ENDPOINTS), '/v1/images/');
  t.equal(matchEndpoint('/v1/audio/speech', DEFAULT_ENDPOINTS), '/v1/audio/');
  t.equal(matchEndpoint('/v1/responses/resp_1/cancel', DEFAULT_ENDPOINTS), '/v1/responses');
  t.equal(matchEndpoint('/v1/modelsX', DEFAULT_ENDPOINTS), undefined);
  t.equal(matchEndpoint('/v1/images', DEFAULT_ENDPOINTS), undefined);
  t.equal(matchEndpoint('/v1/files', DEFAULT_ENDPOINTS), undefined);
  t.equal(matchEndpoint('/v1', DEFAULT_ENDPOINTS), undefined);
  t.equal(matchEndpoint('/V1/models', DEFAULT_ENDPOINTS), undefined);
  t.equal(matchEndpoint('/v1/files/x', ['/v1/files']), '/v1/files');
});
