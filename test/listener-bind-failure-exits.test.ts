// A listener that cannot bind stops the process with exit 1 and the reason: it never runs half-started (a Pod
// would go Ready with a dead proxy port). Before this, the admin listener kept the process alive and /readyz
// answered 200 after "failed to start".
import t, { type Test } from 'tap';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { randomKey, runProxyExpectingFailure, type FailedStart } from './helpers/proxy';

async function occupiedPort(t: Test): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

const keys = () => ({ OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: randomKey('pk-test') });

function expectStopped(t: Test, run: FailedStart, setting: string, reason: RegExp) {
  t.equal(run.code, 1, 'exit code 1, not left running');
  t.notOk(
    run.logs.some((l) => l.event === 'listening'),
    'never said it was listening',
  );
  t.match(run.stderr, new RegExp(`failed to start: ${setting}: cannot listen on `), `stderr names ${setting}`);
  t.match(run.stderr, reason, 'and the reason');
  const line = run.logs.find((l) => l.event === 'start_failed');
  t.match(line, { level: 'error', setting, message: reason }, 'a start_failed log line for log collectors');
}

t.test('proxy port already in use', async (t) => {
  const port = await occupiedPort(t);
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { ...keys(), PORT: String(port) } });
  expectStopped(t, run, 'HOST/PORT', /already in use \(EADDRINUSE\)/);
});

t.test('HOST that does not resolve', async (t) => {
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { ...keys(), HOST: 'not-a-host.invalid' } });
  expectStopped(t, run, 'HOST/PORT', /does not resolve \((ENOTFOUND|EAI_AGAIN)\)|could not be resolved/);
});

t.test('admin port already in use', async (t) => {
  const port = await occupiedPort(t);
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { ...keys(), ADMIN_PORT: String(port) } });
  expectStopped(t, run, 'ADMIN_HOST/ADMIN_PORT', /already in use/);
});
