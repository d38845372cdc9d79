import type { Authenticator } from "../auth/authenticate.ts";
import { embedderPrincipal } from "../auth/embedder-principal.ts";
import type { PluginBound, PluginCall } from "./plugin-bound.ts";

/** A request's call of the embedder's authenticator: timed while any of its calls is unanswered. */
interface EmbedderCall extends PluginCall {
  unanswered: number;
}

/**
 * An embedder's authenticator whose own calls are bound, before the gateway's parts are composed
 * around it: a slow store read of theirs (a key's chain) is not reported as the embedder's. A call
 * is not waited on here but on the wait of the request that made it, which also watches the client:
 * one open entry a request, and a call whose client left ends with its request (499), never told as
 * a 503 later. A request's call is made on demand, by whichever comes first: the embedder's being
 * called with the request's headers (timed from then, however long after a part's own waits), or
 * the request's admit finding its answer is a promise (untimed until the embedder is called). A
 * request answered at once (a cached key) makes none. Untimed again once the embedder has answered.
 */
export class BoundAuthenticator {
  /** Each admitted request's call, by the headers its admit authenticates. */
  private readonly calls = new WeakMap<Headers, EmbedderCall>();

  constructor(
    private readonly embedders: Authenticator,
    private readonly bound: PluginBound,
  ) {}

  /**
   * The call of the request these headers are, for its wait to bound, made if none is yet: untimed
   * (a deadline of Infinity) until the embedder is called, and never timed when it is not (a web
   * session's request).
   */
  callOf(headers: Headers): PluginCall {
    return this.calls.get(headers) ?? this.opened(headers);
  }

  private opened(headers: Headers): EmbedderCall {
    const call: EmbedderCall = { bound: this.bound, deadline: Number.POSITIVE_INFINITY, unanswered: 0 };
    this.calls.set(headers, call);
    return call;
  }

  readonly authenticate: Authenticator = (headers) => {
    const answer = this.embedders(headers);
    // Made here when the admit has not asked yet (it does once it finds the answer a promise).
    const call = this.calls.get(headers) ?? this.opened(headers);
    if (call.unanswered++ === 0) call.deadline = performance.now() + this.bound.ms;
    const answered = () => {
      if (--call.unanswered === 0) call.deadline = Number.POSITIVE_INFINITY;
    };
    return answer.then(
      (principal) => {
        answered();
        return embedderPrincipal(principal);
      },
      (error: unknown) => {
        answered();
        throw error;
      },
    );
  };
}
