// The first JWKS fetch is logged with `trigger: start`, as the first token exchange is; it used to say
// `schedule`, which reads as a periodic refresh. The fetches after it are `schedule`.
import t from 'tap';
import { JwksKeeper } from '../../src/service-accounts/jwks-keeper';
import { createLogger } from '../../src/observability/log';
import { jwksOf, signingKey } from '../helpers/service-accounts';

t.test('start, then schedule; a failed first fetch is a start too', async (t) => {
  for (const first of ['good', 'failed'] as const) {
    const lines: Record<string, unknown>[] = [];
    let calls = 0;
    const document = jwksOf(signingKey('ES256'));
    const keeper = new JwksKeeper(
      {
        load: async () => {
          if (calls++ === 0 && first === 'failed') throw new Error('HTTP 503');
          return `${document}${' '.repeat(calls)}`; // a new text each time, so each good fetch is logged at info
        },
        log: createLogger('info', (line) => lines.push(JSON.parse(line))),
        onRefresh: () => {},
        onChange: () => {},
      },
      { refreshMs: 5, unknownKeyMs: 1_000, retryMs: 5, retryMaxMs: 5 },
    );
    t.teardown(() => keeper.close());
    keeper.start();
    for (let i = 0; i < 1000 && lines.filter((l) => l.event === 'jwks_refresh').length < 3; i++) await new Promise((r) => setTimeout(r, 2));
    keeper.close();
    const refreshes = lines.filter((l) => l.event === 'jwks_refresh');
    t.same(
      refreshes.slice(0, 3).map((l) => [l.result, l.trigger]),
      [
        [first === 'good' ? 'success' : 'failure', 'start'],
        ['success', 'schedule'],
        ['success', 'schedule'],
      ],
      `first fetch ${first}`,
    );
  }
});
