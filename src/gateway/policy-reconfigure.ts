import type { Policy } from "../auth/policy.ts";
import type { Config } from "../config/config-schema.ts";
import { describeError } from "../core/describe-error.ts";
import { isThenable } from "../core/is-thenable.ts";
import type { Logger } from "../log/logger.ts";

/**
 * A policy's `reconfigure` as a reload tells it of a config, in the turn the config takes effect:
 * a throw refuses the config there. An `async` one (a Policy to TypeScript, whose `void` takes a
 * promise) answers later, when nothing can be refused any more: its rejection is logged, naming the
 * policy, where left unhandled it ended the process.
 */
export function policyReconfigure(policy: Policy, logger: Logger): (next: Config) => void {
  const failed = (error: unknown) =>
    logger.error(
      "the embedder's policy (reconfigure) failed after its config took effect (reconfigure is synchronous: throw to refuse a config)",
      { error: describeError(error) },
    );
  return (next) => {
    const answer: unknown = policy.reconfigure?.(next);
    if (isThenable(answer)) answer.then(undefined, failed);
  };
}
