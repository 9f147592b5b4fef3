// The floor for any proxy built on Node's http module on this machine: no auth, no logging, no metrics, no
// timeouts, fixed headers; http.request + end(body) + pipe. Not part of `make bench`: run it by hand to see
// how much of the gap to nginx is Node's HTTP stack rather than the proxy's own work.
//   node test/bench/upstream.mjs            -> {"port":U}
//   node test/bench/node-floor.mjs U        -> prints its port P
//   BENCH_KEY=x wrk -t2 -c32 -d10s -s test/bench/post.lua http://127.0.0.1:P/v1/chat/completions
import http from 'node:http';

const upstreamPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
process.on('SIGINT', () => process.exit(0));

http
  .createServer((req, res) => {
    const headers = { 'content-type': 'application/json', 'content-length': req.headers['content-length'], authorization: 'Bearer x', host: 'x' };
    const up = http.request({ agent, host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => up.end(Buffer.concat(chunks)));
  })
  .listen(0, '127.0.0.1', function () {
    console.log(this.address().port);
  });
