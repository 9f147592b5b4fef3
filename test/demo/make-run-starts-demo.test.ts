// `make run` on a fresh clone with nothing configured (no .env, no key, no config file) starts the proxy in
// front of the tests' fake OpenAI upstream, with a client key of its own, and prints a banner whose commands
// work exactly as printed, on the port it really listens on. It used to stop with "PROXY_X_API_KEY: required"
// and "OPENAI_API_KEY: required", so a newcomer saw nothing work.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { request } from '../helpers/http';
import { codeBlocks, section } from '../readme/readme';
import { bannerLines, buildForMake, cleanEnv, runShell, startMakeTarget } from './make-target';

const hasPythonSdk = (() => {
  try {
    execFileSync('python3', ['-c', 'import openai'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

t.test('the demo starts, says what it is and how to leave it, and its commands work as printed', async (t) => {
  await buildForMake();
  const demo = startMakeTarget(t, 'run', cleanEnv({ PORT: '0', ADMIN_PORT: '0' }));
  const banner = await demo.banner();
  const listening = JSON.parse((await demo.waitFor(/^\{.*"event":"listening".*\}$/m))[0]);
  t.equal(listening.host, '127.0.0.1', 'the demo listens on loopback only');
  t.equal(listening.adminHost, '127.0.0.1');
  t.not(listening.port, 0, 'PORT=0: a real port');

  t.match(banner, /running as a DEMO, in front of a fake OpenAI upstream/);
  t.match(banner, /cp \.env\.example \.env/, 'how to leave the demo: .env');
  t.match(banner, /OPENAI_API_KEY and PROXY_X_API_KEY/, 'or the environment');
  const key = /client key {3}(demo-[0-9a-f]{32})/.exec(banner)?.[1];
  t.ok(key, 'the client key is shown');
  t.match(banner, `http://127.0.0.1:${listening.port}/v1`, 'the base URL has the real port and /v1');
  t.match(banner, `http://127.0.0.1:${listening.adminPort}/metrics`, 'and the admin port');
  // The README shows the banner's opening lines with the default ports and a made-up key: the same lines.
  const [shown] = codeBlocks(section('See it work'), 'text');
  for (const line of shown!.split('\n').filter((l) => l.trim())) {
    const expected = line
      .replace('127.0.0.1:18443', `127.0.0.1:${listening.port}`)
      .replaceAll('127.0.0.1:9090', `127.0.0.1:${listening.adminPort}`)
      .replace(/demo-[0-9a-f]{32}/, key!);
    t.ok(banner.split('\n').includes(expected), `the README's banner line is printed: ${line.trim().slice(0, 60)}`);
  }

  const [chat, stream] = bannerLines(banner, 'curl ');
  t.ok(chat?.includes(`127.0.0.1:${listening.port}/v1/chat/completions`) && chat.includes(key!), 'a curl line with the port and the key');
  const answer = await runShell(chat!);
  t.equal(answer.code, 0);
  t.equal(JSON.parse(answer.stdout).choices[0].message.content, 'Hello from the fake upstream.', 'the chat curl, as printed');
  const streamed = await runShell(stream!);
  t.match(streamed.stdout, /event: response\.completed/, 'the streaming curl, as printed');

  const [node] = bannerLines(banner, 'node -e ');
  const sdk = await runShell(node!);
  t.equal(sdk.stdout.trim(), 'Hello from the fake upstream.', `the Node SDK line, as printed${sdk.stderr ? `: ${sdk.stderr}` : ''}`);
  const [python] = bannerLines(banner, 'python3 -c ');
  t.ok(python?.includes(`base_url="http://127.0.0.1:${listening.port}/v1"`), 'a Python line with the base URL');
  if (hasPythonSdk) t.equal((await runShell(python!)).stdout.trim(), 'Hello from the fake upstream.', 'the Python SDK line, as printed');
  else t.comment('python3 has no openai package here: the Python line was not run');

  await demo.waitFor(/"event":"request","client":"default".*"status":200/);
  await demo.interrupt();
  t.match(demo.output, /"event":"shutdown_complete","cut":0/, 'Ctrl-C: the proxy drains and stops');
  t.match(demo.output, /openai-proxy demo: stopped/, 'and so does the demo');
  await t.rejects(request(`http://127.0.0.1:${listening.port}/health`), 'nothing listens any more');
});
