import { upstreamCredential, type UpstreamSigning } from '../http/headers';
import type { Credential } from './credential';

/**
 * One request's use of a keyless credential: the token it is sent with, and its one retry after a 401. Access
 * tokens always go as `Authorization: Bearer`, whatever header a static key would use.
 */
export class CredentialUse {
  /** The token the request is (about to be) sent with. */
  token: string | undefined;
  private retried = false;

  constructor(private readonly credential: Credential) {}

  /** Resolves to false when there is no credential to send with (the request then gets a 503). */
  async acquire(): Promise<boolean> {
    this.token = await this.credential.acquire();
    return this.token !== undefined;
  }

  sign(signing: UpstreamSigning): UpstreamSigning {
    return { ...signing, credential: upstreamCredential('authorization', this.token ?? '') };
  }

  /**
   * The upstream answered 401: the credential is dropped (and refreshed), and the request is to be sent again,
   * once, when its body can be replayed and a new credential is coming. Otherwise the 401 goes back as it is.
   */
  retryAfterUnauthorized(replayable: boolean): boolean {
    if (this.token === undefined) return false;
    const renewed = this.credential.rejected(this.token);
    if (!renewed || !replayable || this.retried) return false;
    this.retried = true;
    this.token = undefined;
    return true;
  }
}
