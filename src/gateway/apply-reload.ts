import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { Config } from "../config/config-schema.ts";
import { reloadIgnoredWeightWarnings } from "../config/ignored-weight-warnings.ts";
import { restartRequired } from "../config/restart-only.ts";
import { reloadRetentionWarnings } from "../config/retention-warnings.ts";
import { REFUSED_FOR_NOW } from "../config/watch-config.ts";
import { describeError, messageOf } from "../core/describe-error.ts";
import { stableJson } from "../core/stable-json.ts";
import { withoutSecrets } from "../core/without-secrets.ts";
import type { Logger } from "../log/logger.ts";
import { reloadMissingCredentials, warnMissingCredentials } from "../providers/missing-credentials.ts";
import { appliedWhenLoaded, type ConfigQueue } from "./applied-when-loaded.ts";
import { changesBeyondRestartOnly } from "./changes-beyond-restart-only.ts";
import type { RuntimeHolder, RuntimeSnapshot } from "./runtime.ts";

export interface ReloadDeps {
  readonly runtime: RuntimeHolder;
  /**
   * Told of each config before it takes effect, in the same turn (an embedder's policy): one that
   * throws refuses the change as a whole, as a config that cannot be built is refused.
   */
  readonly adopt: readonly ((config: Config) => void)[];
  /**
   * Told of each config once its snapshot is in place (the cluster's notice to other nodes). The
   * change stands whatever these do; one that throws is logged.
   */
  readonly applied: readonly ((config: Config, version: number) => void)[];
  readonly logger: Logger;
  readonly publish: (event: GatewayEvent) => void;
}

/** A source's handlers, each settled once its change is in force, or refused, or dropped by `stop`. */
export interface ReloadPolicy extends ConfigQueue {
  /** Why the last change was refused; null once a valid change has been applied. */
  lastError(): string | null;
  /** Restart-only fields edited since start: accepted, but not in effect until a restart. */
  restartRequired(): readonly string[];
}

/**
 * What a config change does while running: a valid one swaps in a new runtime snapshot (in-flight
 * requests finish on the old one) and tells the parts that follow it; one that changes only
 * restart-only fields has nothing to apply, so it swaps nothing and is reported as "restart
 * required" (logged, published, shown in the admin status), the version unchanged; one that applies
 * nothing but settles what was pending (a rejected edit undone, restart-only settings put back) is
 * published as `config.restored`, with the restart-only fields that still wait, so what showed the
 * earlier notice can clear it; an invalid one,
 * or one a part cannot be built from or refuses, is refused, the old snapshot keeps serving, and
 * the reason is logged, published and shown in the admin status. Each change is taken in the order
 * the source tells it: a config naming the first provider the price catalogue prices is applied
 * once the catalogue is loaded, and every change after it in turn (applied-when-loaded.ts).
 */
export function createReloadPolicy(deps: ReloadDeps): ReloadPolicy {
  let lastError: string | null = null;
  // Compared with the config the process started on: that is what those fields still are.
  const started = deps.runtime.current.config;
  let pending: string[] = [];
  /**
   * The config last accepted (applied, or accepted as waiting for a restart), as `stableJson`: a
   * valid file after a rejection undoes it only when it is this one again; any other is an edit.
   */
  let lastAccepted = stableJson(started);
  /**
   * The config a part refused last, as `stableJson`, while its refusal is the last word: the same
   * config refused again for the same reason is that refusal still, not another.
   */
  let lastPartRefused: string | undefined;
  const onInvalid = (error: Error) => {
    // Logged, published and shown by the status: an embedder's source may quote what it was given
    // (a control plane's URL, its key), as a part's error may. A file's problems are redacted already.
    const why = withoutSecrets(messageOf(error));
    lastError = why;
    lastPartRefused = undefined;
    deps.logger.error(`config change rejected, still serving the previous config:\n${why}`);
    deps.publish({ type: "config.rejected", at: Date.now(), error: why });
  };
  /**
   * A part could not be built from `config` or refused it. Tried again at each re-read (a SIGHUP,
   * a file event, a cluster notice: the part may have been mended), the same config refused for
   * the same reason is logged as still refused, and not counted or published again.
   */
  const refuseForAPart = (config: Config, error: unknown): typeof REFUSED_FOR_NOW => {
    // Logged, published and shown by the status: a part's error may quote its credentials.
    const why = `could not apply: ${withoutSecrets(messageOf(error))}`;
    const refused = stableJson(config);
    if (refused === lastPartRefused && why === lastError) {
      deps.logger.warn(`config change still refused, still serving the previous config:\n${why}`);
      return REFUSED_FOR_NOW;
    }
    onInvalid(new Error(why));
    lastPartRefused = refused;
    return REFUSED_FOR_NOW;
  };
  /**
   * A valid config, in its turn: swapped in, or only noted when it changes nothing in force;
   * `REFUSED_FOR_NOW` when a part refused it, so that the source does not take it for the one in force.
   */
  const apply = (config: Config): typeof REFUSED_FOR_NOW | undefined => {
    const required = restartRequired(started, config);
    const current = deps.runtime.current;
    if (!changesBeyondRestartOnly(current.config, config)) {
      // Accepted, but not applied: no new version, nothing told, only the restart it needs —
      // or none, when the edit puts the restart-only fields back as the process started.
      const wasRejected = lastError !== null;
      const wasPending = pending.length > 0;
      const accepted = stableJson(config);
      // The file back as last accepted: the rejected edit undone, not a new edit written after it.
      const undone = wasRejected && accepted === lastAccepted;
      lastAccepted = accepted;
      lastError = null;
      lastPartRefused = undefined;
      pending = required;
      if (pending.length === 0) {
        // Put back as at start, or an edit of nothing in force (a comment, the same values).
        const what = wasPending
          ? "restart-only settings back as at start"
          : wasRejected
            ? "the rejected edit is undone, the file as in force"
            : "nothing in force differs";
        deps.logger.info(`config change applies nothing: ${what} (version ${current.version} serves on)`);
        // Whoever showed the rejection or the restart it waited for learns that it is over.
        if (wasPending || wasRejected)
          deps.publish({
            type: "config.restored",
            at: Date.now(),
            version: current.version,
            restartRequired: [],
          });
        return;
      }
      if (undone) {
        // The rejection is over, while restart-only edits still wait: a restore that says what
        // still waits, not another restart required (the undo is no edit of restart-only fields).
        // A new restart-only edit after the rejection is not an undo: restart required, below.
        deps.logger.info(
          `config change applies nothing: the rejected edit is undone, the file as in force; restart still required for: ${pending.join(", ")} (version ${current.version} serves on)`,
        );
        deps.publish({
          type: "config.restored",
          at: Date.now(),
          version: current.version,
          restartRequired: pending,
        });
        return;
      }
      deps.logger.warn(
        `config change not applied: restart required for: ${pending.join(", ")} (nothing else changed; version ${current.version} serves on)`,
      );
      deps.publish({
        type: "config.restart_required",
        at: Date.now(),
        version: current.version,
        restartRequired: pending,
      });
      return;
    }
    let next: RuntimeSnapshot;
    try {
      next = deps.runtime.swap(config, () => {
        for (const adopt of deps.adopt) adopt(config);
      });
    } catch (error) {
      // Valid on paper, but a part could not be built from it (a provider's factory) or refused
      // it (an embedder's policy): refused like an invalid file, and the current snapshot serves
      // on, untouched. Not the text's fault alone: the same text may be built once what the part
      // stands on is mended (a SIGHUP tries it again).
      return refuseForAPart(config, error);
    }
    for (const tell of deps.applied) {
      try {
        tell(config, next.version);
      } catch (error) {
        deps.logger.error(`config version ${next.version} applied, but telling a part of it failed`, {
          error: describeError(error),
        });
      }
    }
    lastError = null;
    lastPartRefused = undefined;
    lastAccepted = stableJson(config);
    pending = required;
    deps.logger.info(`config reloaded (version ${next.version})`);
    // Warned of as at start: a tenant now counted over a period longer than the audit log keeps
    // (a budget moved to a month, say) has its requests and tokens counted short. The retention
    // in force is the start's (restart-only).
    for (const warning of reloadRetentionWarnings(
      started.audit.retention,
      current.config.tenants,
      config.tenants,
    ))
      deps.logger.warn(warning);
    // A weight the reload writes on a model that is not weighted (or a strategy it changes so).
    for (const warning of reloadIgnoredWeightWarnings(current.config, config)) deps.logger.warn(warning);
    // A provider the reload adds or changes that has no usable credentials: said now, as at start.
    warnMissingCredentials(deps.logger, reloadMissingCredentials(current.config, config));
    if (pending.length > 0)
      deps.logger.warn(
        `config reloaded, but restart required for: ${pending.join(", ")} (still as at start)`,
      );
    deps.publish({
      type: "config.reloaded",
      at: Date.now(),
      version: next.version,
      restartRequired: pending,
    });
    return undefined;
  };
  const queue = appliedWhenLoaded(
    {
      onValid: apply,
      onInvalid,
      onHeld: (reason) => deps.logger.warn(`config change held: ${reason}`),
      onLoadedLate: (what) =>
        deps.logger.info(`${what} loaded after its limit: applying the config change refused for it`),
    },
    (error) => deps.logger.error("a config change's turn failed", { error: describeError(error) }),
  );
  return { ...queue, lastError: () => lastError, restartRequired: () => pending };
}
