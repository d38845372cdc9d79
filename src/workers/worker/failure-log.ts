import { RepeatThrottle } from "../../core/repeat-throttle.ts";
import { urlLabel } from "../../core/url-label.ts";
import { withoutSecrets } from "../../core/without-secrets.ts";
import type { TunnelErrorCode } from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";

/** A call failing on the worker's side, as the log names it. */
export interface CallFailure {
  code: TunnelErrorCode;
  /** The error frame's message, the same words the gateway and the client see. */
  message: string;
  requestId: string;
  /** The upstream path called (`/chat/completions`), appended to the logged base. */
  path: string;
  error: unknown;
}

/**
 * Where a worker says its own upstream failed a call (unreachable, broke off): the gateway and the
 * client only see the error frame's words, and the operator of the box needs the upstream's.
 * At most one line per code every 5 s, the next one counting those held back, so an upstream that
 * is down does not write a line per request. The upstream is named by its base without user
 * info or query (`--upstream` may carry credentials), the error by its text, shortened.
 */
export class FailureLog {
  private readonly throttle: RepeatThrottle<TunnelErrorCode>;
  private readonly upstream: string;

  constructor(
    base: string,
    private readonly log: WorkerLog,
    now?: () => number,
  ) {
    this.upstream = urlLabel(base);
    this.throttle = new RepeatThrottle(now);
  }

  failed({ code, message, requestId, path, error }: CallFailure): void {
    const held = this.throttle.pass(code);
    if (held === undefined) return;
    // `request_id`, as the gateway's lines name it: one grep finds a request on both sides.
    this.log("warn", message, {
      code,
      request_id: requestId,
      upstream: this.upstream + path,
      // Redacted (the worker's own key held: worker-client.ts), then cut; read no further than
      // a key across the cut needs.
      error: withoutSecrets(String(error).slice(0, 1000)).slice(0, 300),
      ...(held ? { suppressed: held } : {}),
    });
  }
}
