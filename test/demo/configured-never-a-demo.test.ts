// The demo is for an empty environment only. A half-configured one gets the real proxy and its real error,
// and `node dist/main.js` (npm start, the image, the chart) never starts a demo: without a key it exits 1.
import t from 'tap';
import { runProxyExpectingFailure } from '../helpers/proxy';
import { buildForMake, cleanEnv, startMakeTarget } from './make-target';

t.test('make run with OPENAI_API_KEY alone: the real proxy says what is missing', async (t) => {
  await buildForMake();
  const run = startMakeTarget(t, 'run', cleanEnv({ OPENAI_API_KEY: 'sk-test-0123456789abcdef0123456789', PORT: '0', ADMIN_PORT: '0' }));
  const { code } = await run.exited;
  t.not(code, 0);
  t.match(run.output, /PROXY_X_API_KEY: required/);
  t.notMatch(run.output, /DEMO/, 'no demo');
});

t.test('make run with PROXY_CONFIG naming a missing file: that error, no demo', async (t) => {
  const run = startMakeTarget(t, 'run', cleanEnv({ PROXY_CONFIG: '/nonexistent/proxy.yaml', PORT: '0', ADMIN_PORT: '0' }));
  await run.exited;
  t.match(run.output, /PROXY_CONFIG: cannot read \/nonexistent\/proxy\.yaml: ENOENT/);
  t.notMatch(run.output, /DEMO/);
});

t.test('node dist/main.js without a key: exit 1, as ever', async (t) => {
  const run = await runProxyExpectingFailure({ env: { OPENAI_BASE_URL: undefined } });
  t.equal(run.code, 1);
  t.match(run.stderr, /PROXY_X_API_KEY: required/);
  t.match(run.stderr, /OPENAI_API_KEY: required/);
  t.notMatch(run.stdout, /DEMO|"event":"listening"/, 'no demo, no listener');
});
