import { X509Certificate } from 'node:crypto';
import type { Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { KEY_FILE_POLL_MS, type ReloadResult } from '../keys/keystore';
import { readAll } from '../keys/secrets';
import type { Logger } from '../observability/log';

export interface ServingPair {
  cert: string;
  key: string;
}

/** Why a certificate and key cannot serve TLS (not PEM, or a key that is not the certificate's), if they cannot. */
export function servingPairProblem(pair: ServingPair): string | undefined {
  try {
    createSecureContext(pair);
    return undefined;
  } catch (err) {
    return `the certificate and key cannot serve TLS together: ${(err as Error).message}`;
  }
}

/** What a log line may say of a certificate: it is public, but its expiry is what an operator needs. */
export function describeCertificate(pem: string): { notAfter: string; serialNumber: string } | undefined {
  try {
    const cert = new X509Certificate(pem);
    return { notAfter: new Date(cert.validTo).toISOString(), serialNumber: cert.serialNumber };
  } catch {
    return undefined;
  }
}

/**
 * Re-reads the serving certificate and key on a timer, as the proxy does its keys: cert-manager and Helm upgrades
 * replace the mounted Secret, and the kubelet swaps the files without restarting anything. A new pair is put into
 * service for new connections with `setSecureContext`; a pair that fails to load keeps the last good one (the
 * two files can be read either side of a swap; the next poll reads them both new).
 */
export function watchServingPair(
  server: Server,
  files: { certFile: string; keyFile: string },
  initial: ServingPair,
  log: Logger,
  onReload: (result: ReloadResult) => void,
  intervalMs = KEY_FILE_POLL_MS,
): { close(): void } {
  let current = initial;
  let reported: string | undefined;
  let polling = false;
  const poll = async () => {
    const { contents, errors } = await readAll([files.certFile, files.keyFile]);
    const next = { cert: contents.get(files.certFile), key: contents.get(files.keyFile) };
    const problem = next.cert === undefined || next.key === undefined ? `cannot read: ${[...errors].map(([p, code]) => `${p} ${code}`).join(', ')}` : undefined;
    if (!problem && next.cert === current.cert && next.key === current.key) return;
    const failure = problem ?? servingPairProblem(next as ServingPair);
    if (failure) {
      if (failure !== reported) {
        log.error('certificate_reload', { result: 'failure', reason: `${failure}; keeping the last good certificate` });
        onReload('failure');
      }
      reported = failure;
      return;
    }
    server.setSecureContext(next as ServingPair);
    current = next as ServingPair;
    reported = undefined;
    log.info('certificate_reload', { result: 'success', certificate: describeCertificate(current.cert) });
    onReload('success');
  };
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    poll().finally(() => (polling = false));
  }, intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
