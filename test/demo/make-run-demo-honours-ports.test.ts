// The demo listens where PORT and ADMIN_PORT say, and its banner says so: the curl it prints must reach it.
import t from 'tap';
import { request } from '../helpers/http';
import { closedPort } from '../helpers/ports';
import { buildForMake, cleanEnv, startMakeTarget } from './make-target';

t.test('PORT and ADMIN_PORT', async (t) => {
  await buildForMake();
  const [port, adminPort] = [await closedPort(), await closedPort()];
  const demo = startMakeTarget(t, 'run', cleanEnv({ PORT: String(port), ADMIN_PORT: String(adminPort) }));
  const banner = await demo.banner();
  t.match(banner, `curl http://127.0.0.1:${port}/v1/chat/completions`);
  t.match(banner, `http://127.0.0.1:${adminPort}/readyz`);
  t.equal((await request(`http://127.0.0.1:${port}/health`)).status, 200, 'the proxy is on PORT');
  t.equal((await request(`http://127.0.0.1:${adminPort}/healthz`)).status, 200, 'the admin listener on ADMIN_PORT');
  await demo.interrupt();
});
