import type { Authenticator } from "../auth/authenticate.ts";
import { type PluginBound, type PluginCall, pluginCall } from "./plugin-bound.ts";

/**
 * An embedder's authenticator whose own calls are bound, before the gateway's parts are composed
 * around it: a slow store read of theirs (a key's chain) is not reported as the embedder's. A call
 * is not waited on here but handed to the wait of the request that made it (`takeCall`, read by
 * the guard right after its admit: guard-steps.ts), which also watches the client: one open entry
 * a request, and a call whose client left ends with its request (499), never told as a 503 later.
 * Every call is made inside an admit (the composite is called nowhere else), synchronously: the
 * parts around it call it before their first wait.
 */
export class BoundAuthenticator {
  /** The last call made, until its request's wait takes it, and the headers it was made for. */
  private made: PluginCall | undefined;
  private madeFor: Headers | undefined;

  constructor(
    private readonly embedders: Authenticator,
    private readonly bound: PluginBound,
  ) {}

  readonly authenticate: Authenticator = (headers) => {
    const answer = this.embedders(headers);
    const call = pluginCall(this.bound);
    this.made = call;
    this.madeFor = headers;
    return answer.then(
      (principal) => {
        call.deadline = Number.POSITIVE_INFINITY;
        return principal;
      },
      (error: unknown) => {
        call.deadline = Number.POSITIVE_INFINITY;
        throw error;
      },
    );
  };

  /**
   * The call the admit just run made for these headers, for its request's wait to bound; none when
   * it made none (a web session's request), whatever call an earlier admit left.
   */
  takeCall(headers: Headers): PluginCall | undefined {
    const call = this.madeFor === headers ? this.made : undefined;
    this.made = undefined;
    this.madeFor = undefined;
    return call;
  }
}
