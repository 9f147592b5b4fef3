// The serving certificate is re-read when its files change, the way the kubelet updates a mounted Secret (a
// `..data` symlink swapped at once): new connections get the new certificate, with no restart. A pair that
// does not go together keeps the last good one and is logged.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEXT_CERT, NEXT_KEY, SERVER_CERT, SERVER_KEY, admissionReview, fixturePod, review, startInjector } from '../helpers/injector';
import { fetchText } from '../helpers/proxy';
import { tempDir, writeSecretDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

const serial = (pem: string) => new X509Certificate(pem).serialNumber;
const pair = (cert: string, key: string) => ({ 'tls.crt': readFileSync(cert, 'utf8'), 'tls.key': readFileSync(key, 'utf8') });

t.test('a renewed certificate is served without a restart', async (t) => {
  const dir = tempDir(t);
  const { config } = renderInjector(dir);
  const tls = join(dir, 'tls');
  writeSecretDir(tls, pair(SERVER_CERT, SERVER_KEY), 'v1');
  const injector = await startInjector(t, { config, cert: join(tls, 'tls.crt'), key: join(tls, 'tls.key') });
  const sent = () => admissionReview(fixturePod('deployment-pod'));

  const first = await review(injector.url, sent());
  t.equal(first.certificate.serialNumber, serial(readFileSync(SERVER_CERT, 'utf8')), 'serves the first certificate');

  // A key that is not the certificate's: refused, the first pair stays in service.
  writeSecretDir(tls, { 'tls.crt': readFileSync(NEXT_CERT, 'utf8'), 'tls.key': readFileSync(SERVER_KEY, 'utf8') }, 'v2');
  const refused = await injector.waitForLog((l) => l.event === 'certificate_reload' && l.result === 'failure');
  t.match(refused.reason, /cannot serve TLS together.*keeping the last good certificate/);
  t.equal((await review(injector.url, sent())).certificate.serialNumber, first.certificate.serialNumber, 'still the first certificate');

  writeSecretDir(tls, pair(NEXT_CERT, NEXT_KEY), 'v3');
  const reloaded = await injector.waitForLog((l) => l.event === 'certificate_reload' && l.result === 'success');
  t.equal(reloaded.certificate.serialNumber, serial(readFileSync(NEXT_CERT, 'utf8')), 'the log names the new certificate');
  const after = await review(injector.url, sent());
  t.equal(after.certificate.serialNumber, serial(readFileSync(NEXT_CERT, 'utf8')), 'new connections get the new certificate');
  t.equal(after.json?.response?.allowed, true, 'and are answered');
  t.equal(injector.logs.filter((l) => l.event === 'listening').length, 1, 'no restart');

  const metrics = (await fetchText(`${injector.adminUrl}/metrics`)).text;
  t.match(metrics, /openai_proxy_config_reloads_total\{result="success"\} 1\n/);
  t.match(metrics, /openai_proxy_config_reloads_total\{result="failure"\} 1\n/);
});
