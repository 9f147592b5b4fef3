import { readFile } from 'node:fs/promises';
import type { WorkloadIdentity } from '../config/types';
import { ExchangeError } from './errors';
import { postOnce, type PostTimeouts } from './post';
import { parseTokenAnswer, tokenRequest, type Issued } from './token-requests';

/**
 * One exchange: the projected token, read fresh (the kubelet rotates it well before it expires, so a copy
 * kept from the last exchange may already be refused), for a short-lived access token.
 */
export async function exchangeIdentity(identity: WorkloadIdentity, timeouts: PostTimeouts, held: readonly string[] = []): Promise<Issued> {
  const subjectToken = await readSubjectToken(identity.tokenFile);
  const request = tokenRequest(identity, subjectToken);
  const answer = await postOnce(request.url, request.contentType, request.body, timeouts);
  // The endpoint's error text is logged: neither the identity token nor an access token it echoes may be in it.
  return parseTokenAnswer(answer.status, answer.text, [subjectToken, ...held]);
}

export async function readSubjectToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ExchangeError('token_file', `The identity token file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
  const token = text.trim();
  if (token === '') throw new ExchangeError('token_file', `The identity token file ${path} is empty.`);
  return token;
}
