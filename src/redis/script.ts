import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, the name EVALSHA runs it by (see RedisClient.evalScript). */
export class Script {
  readonly sha1: string;

  constructor(readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }
}
