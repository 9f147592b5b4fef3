// A body over the injector's limit (6 MiB: twice the API server's own request limit) is refused with 413
// as soon as it is known, whether it is announced by Content-Length or arrives chunked; the injector goes on.
import t from 'tap';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { admissionReview, fixturePod, review, startInjector } from '../helpers/injector';
import { CA_PEM, fetchText } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

const LIMIT = 6 * 1024 * 1024;

function bigReview(): Buffer {
  const pod = fixturePod('deployment-pod');
  pod.metadata.annotations['example.com/blob'] = 'x'.repeat(LIMIT);
  return Buffer.from(JSON.stringify(admissionReview(pod)));
}

/** Sends `body` in 64 KiB chunks without a Content-Length; resolves with the status and body of the answer. */
function sendChunked(url: string, body: Buffer): Promise<{ status: number; text: string; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    const req = https.request(`${url}/inject`, { method: 'POST', agent: false, ca: readFileSync(CA_PEM), headers: { 'content-type': 'application/json' } });
    req.on('response', (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => (text += c))
        .on('end', () => resolve({ status: res.statusCode!, text, sentBytes }));
    });
    req.on('error', reject);
    const write = () => {
      while (sentBytes < body.length) {
        const chunk = body.subarray(sentBytes, sentBytes + 65536);
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

t.test('413 for an oversized review, announced or chunked', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  const body = bigReview();
  t.ok(body.length > LIMIT, `the body is ${body.length} bytes`);

  const announced = await review(injector.url, body);
  t.equal(announced.status, 413, 'announced by Content-Length: 413');
  t.match(announced.json, { error: /at most 6291456 bytes/ });

  const chunked = await sendChunked(injector.url, body).catch((err: NodeJS.ErrnoException) => ({ status: 0, text: err.code ?? '', sentBytes: 0 }));
  t.equal(chunked.status, 413, 'chunked: 413 once past the limit');

  const good = admissionReview(fixturePod('deployment-pod'));
  t.equal((await review(injector.url, good)).json?.response?.allowed, true, 'and the next review is answered');
  t.match((await fetchText(`${injector.adminUrl}/metrics`)).text, /openai_proxy_injections_total\{result="invalid"\} 2\n/);
});
