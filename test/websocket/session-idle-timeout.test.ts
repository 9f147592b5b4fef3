// idleTimeoutMs of silence both ways closes the session (1001 idle_timeout to both sides); traffic either way
// keeps it open. The sweep runs on a clock the test moves, so nothing here waits for real time to pass.
import t from 'tap';
import { SessionSweep } from '../../src/websocket/sweep';
import { nextClose, nextMessage, startHarness } from './harness';

t.test('silence both ways', async (t) => {
  let now = 1_000_000;
  const sweep = new SessionSweep(0, () => now);
  const harness = await startHarness(t, { idleTimeoutMs: 30_000, sweep });
  const { client, server, session } = await harness.connect();
  t.equal(sweep.size, 1, 'the session is on the sweep');

  now += 29_000;
  sweep.tick();
  const atServer = nextMessage(server);
  client.send('still here');
  await atServer;
  now += 29_000;
  sweep.tick();
  t.notOk(session.ended, 'a message from the client restarted the idle clock');
  const atClient = nextMessage(client);
  server.send('me too');
  await atClient;
  now += 29_000;
  sweep.tick();

  const clientClosed = nextClose(client);
  const serverClosed = nextClose(server);
  now += 1_000;
  sweep.tick();
  t.same(await clientClosed, { code: 1001, reason: 'idle_timeout' });
  t.same(await serverClosed, { code: 1001, reason: 'idle_timeout' });
  const outcome = await harness.ended();
  t.same([outcome.endedBy, outcome.cause], ['proxy', 'idle_timeout']);
  t.equal(sweep.size, 0, 'and is off the sweep once ended');
});
