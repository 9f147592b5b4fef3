// RFC 9112 §6.1: a request whose body carries a transfer coding the proxy does not implement, under the chunked
// one it does (`gzip, chunked`), gets 501 transfer_coding_not_supported with the connection closed, and nothing
// goes upstream. Node's parser decodes only the chunked layer: the proxy used to forward the still-coded bytes
// as if they were the body, with nothing saying so. nginx and Envoy answer 501 too. A coding other than chunked
// last leaves the body's length unknown: that stays a 400 (§6.3). `chunked` in any case is the body it frames.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('a transfer coding under chunked: 501, nothing upstream', async (t) => {
  const s = await startSingleTenant(t);
  const post = (coding: string) =>
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nTransfer-Encoding: ${coding}\r\n\r\n2\r\n{}\r\n0\r\n\r\n`;
  for (const coding of ['gzip, chunked', 'deflate,chunked', 'x-custom, chunked', 'gzip\r\nTransfer-Encoding: chunked']) {
    await expectRefused(t, s, coding.replace('\r\n', ' / '), post(coding), { status: 501, code: 'transfer_coding_not_supported' });
  }
  for (const coding of ['gzip', 'chunked, gzip', 'identity']) await expectRefused(t, s, coding, post(coding), { status: 400, code: 'bad_request' });
  s.up.handle = handlers.echo();
  const answer = await rawExchange(s.proxy.port, post('Chunked').replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  t.equal(answer.status, 200, '`Chunked`: forwarded');
  t.equal(s.up.lastRequest()?.body.toString(), '{}', 'with its body decoded');
});
