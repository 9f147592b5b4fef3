// The fake upstream for `make bench`: as cheap as a Node http server can be, so the numbers measure the
// proxies, not it. Listens on 127.0.0.1:0 and prints {"port":N} as its first stdout line.
//   POST /v1/chat/completions     tiny JSON answer (the requests/s and latency runs)
//   POST /v1/responses?frames=F&interval=MS   SSE: F frames, one every MS ms, each carrying the
//                                 process.hrtime (CLOCK_MONOTONIC, shared by every process on the machine)
//                                 at which it was written, so the client can compute the delay of each frame
//   POST /v1/audio/speech?bytes=N N bytes of audio/mpeg, written with backpressure (the download run)
//   POST /v1/audio/transcriptions  reads and discards the body, answers its length (the upload run)
//   GET /bench/stats              connections accepted so far: shows whether a proxy reuses its upstream sockets
//   GET /v1/realtime (WebSocket)  echoes each message as it came (text or binary); no permessage-deflate
import http from 'node:http';
import { WebSocketServer } from 'ws';

const JSON_BODY = Buffer.from(
  '{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"gpt-4.1-mini",' +
    '"choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],' +
    '"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}',
);
const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': JSON_BODY.length, 'x-request-id': 'req_bench' };
const CHUNK = Buffer.alloc(256 * 1024, 0x5a);

function sse(res, url) {
  const frames = Math.min(Number(url.searchParams.get('frames') ?? 10), 1000);
  const interval = Math.max(Number(url.searchParams.get('interval') ?? 500), 1);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const send = () => {
    // Padded to the size of a real chat.completion.chunk (~200 bytes).
    res.write(
      `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":" token"}}],"i":${i},"t":"${process.hrtime.bigint()}"}\n\n`,
    );
    if (++i < frames) timer = setTimeout(send, interval);
    else res.end('data: [DONE]\n\n');
  };
  let timer = setTimeout(send, 0);
  res.on('close', () => clearTimeout(timer));
}

function download(res, url) {
  let left = Math.min(Number(url.searchParams.get('bytes') ?? 0), 8 * 2 ** 30);
  res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': left });
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

let connections = 0;

function handle(req, res) {
  if (req.url === '/v1/chat/completions') {
    // Answer once the body is in, like a real server; resume() discards it without buffering.
    req.on('end', () => res.writeHead(200, JSON_HEADERS).end(JSON_BODY)).resume();
    return;
  }
  const url = new URL(req.url, 'http://upstream');
  if (url.pathname === '/v1/responses') return void req.on('end', () => sse(res, url)).resume();
  if (url.pathname === '/v1/audio/speech') return void req.on('end', () => download(res, url)).resume();
  if (url.pathname === '/v1/audio/transcriptions') {
    let bytes = 0;
    req.on('data', (c) => (bytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"bytes":${bytes}}`));
    return;
  }
  req.resume();
  if (url.pathname === '/bench/stats') return void res.writeHead(200).end(JSON.stringify({ connections }));
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
}

// Keep-alive longer than nginx's and the proxy's upstream idle timeouts (4 s), so neither ever reuses a
// socket this server is closing (that would show up as 502s that are the bench's fault).
const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handle);
server.on('connection', () => connections++);
const echo = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 2 ** 20 });
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  if (!req.url.startsWith('/v1/realtime')) return void socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  echo.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
