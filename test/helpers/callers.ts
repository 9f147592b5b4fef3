/**
 * keyCaller(table, headers) -> Client | undefined: the client a request's key names, as the request path
 * identifies it (identifyCaller with no token verifier: keys only, so never a promise).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Client, KeyTable } from '../../src/keys/key-table';
import { identifyCaller, type Authentication } from '../../src/keys/callers';

export const keyCaller = (table: KeyTable, headers: IncomingHttpHeaders): Client | undefined =>
  (identifyCaller(table, undefined, headers) as Authentication).client;
