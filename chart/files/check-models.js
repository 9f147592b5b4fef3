// The `helm test` check: GET /v1/models through the proxy with a client key; exit 0 only on a 200.
// That proves the key wiring (the client key is accepted, the upstream key works) and the egress to the
// upstream, which /health proves neither of. Arguments: the proxy's URL, or "local" to start the proxy in
// this container first (sidecar mode: the proxy port is loopback-only, so the check runs a proxy with the
// sidecar's own settings and Secrets beside itself); then the client key file, if the proxy wants a key.
// Neither key is printed; of an error answer, only its status and code.
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');

const [target, keyFile] = process.argv.slice(1);
const key = keyFile ? readFileSync(keyFile, 'utf8').split('\n')[0].trim() : '';

async function check(base) {
  const url = `${base}/v1/models`;
  try {
    const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(60000) });
    const body = await res.text();
    let detail = '';
    try {
      const parsed = JSON.parse(body);
      detail = res.status === 200 ? `${(parsed.data ?? []).length} models` : JSON.stringify(parsed.error?.code ?? parsed.error?.type ?? parsed.error ?? '');
    } catch {
      detail = 'not JSON';
    }
    console.log(`GET ${url}: ${res.status} ${detail}`);
    return res.status === 200;
  } catch (err) {
    console.error(`GET ${url}: ${String(err.cause ?? err)}`);
    return false;
  }
}

function startLocalProxy() {
  return new Promise((resolve, reject) => {
    const proxy = spawn(process.execPath, ['dist/main.js'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const onExit = (code) => reject(new Error(`the proxy exited (${code}) before it listened`));
    proxy.on('exit', onExit);
    proxy.stdout.setEncoding('utf8').on('data', (text) => {
      process.stdout.write(text);
      out += text;
      const listening = /"event":"listening".*?"port":(\d+)/.exec(out);
      if (!listening || proxy.listening) return;
      proxy.listening = true;
      proxy.off('exit', onExit);
      resolve({ url: `http://127.0.0.1:${listening[1]}`, stop: () => proxy.kill('SIGTERM') });
    });
  });
}

async function main() {
  if (target !== 'local') return check(target);
  const proxy = await startLocalProxy();
  const ok = await check(proxy.url);
  proxy.stop();
  return ok;
}

main().then(
  (ok) => (process.exitCode = ok ? 0 : 1),
  (err) => {
    console.error(String(err.message ?? err));
    process.exitCode = 1;
  },
);
