// The floor for any proxy built on Node's http module: the least such a proxy can do per request and still be
// a key-holding proxy. It compares the client's key, swaps it for the upstream's (the client's headers copied,
// its key and Host left out), gathers the small body, sends it with one end(body) on a keep-alive agent and
// pipes the answer back. No logging, metrics, limits, timers, path checks or header rules. `make bench` runs it
// as the "floor" row; everything the proxy costs above it is the proxy's own work.
//   node test/bench/node-floor.mjs '{"upstreamPort":U,"clientKey":"...","upstreamKey":"..."}'
//   -> prints {"port":P} as its first stdout line
import http from 'node:http';

const { upstreamPort, clientKey, upstreamKey } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' });
const upstreamHost = `127.0.0.1:${upstreamPort}`;
const bearer = `Bearer ${upstreamKey}`;
const UNAUTHORIZED = '{"error":{"message":"unauthorized","type":"invalid_request_error","code":"invalid_api_key"}}';

function forward(req, res, body) {
  const headers = {};
  for (const name in req.headers) {
    if (name !== 'x-api-key' && name !== 'authorization' && name !== 'host' && name !== 'connection') headers[name] = req.headers[name];
  }
  headers.host = upstreamHost;
  headers.authorization = bearer;
  const up = http.request({ agent, host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (upRes) => {
    res.writeHead(upRes.statusCode, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', () => res.destroy());
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  up.end(body);
}

http
  .createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    if (req.headers['x-api-key'] !== clientKey) {
      req.resume();
      return void res.writeHead(401, { 'content-type': 'application/json' }).end(UNAUTHORIZED);
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => forward(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  })
  .listen(0, '127.0.0.1', function () {
    console.log(JSON.stringify({ port: this.address().port }));
  });
process.on('SIGTERM', () => process.exit(0));
