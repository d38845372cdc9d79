import type { Config } from "../config/config-schema.ts";
import { messageOf } from "../core/describe-error.ts";
import { inTurns } from "../core/in-turns.ts";
import { catalogueReadyFor, loadCatalogueFor } from "../pricing/catalogue-on-demand.ts";

/** What a config needs loaded before it is put to use, and how to load it. */
export interface ConfigNeeds {
  ready(config: Config): boolean;
  load(config: Config): Promise<void>;
}

/** The price catalogue, for a config naming a provider it prices (pricing/catalogue-on-demand.ts). */
const CATALOGUE: ConfigNeeds = {
  ready: (config) => catalogueReadyFor(config.providers),
  load: (config) => loadCatalogueFor(config.providers),
};

/** What is told of each change, in turn. */
export interface ChangeHandlers {
  onValid(config: Config): void;
  onInvalid(error: Error): void;
  onHeld(reason: string): void;
}

/** A source's handlers (ConfigWatchHandlers), each change told to `ChangeHandlers` in turn. */
export interface ConfigQueue {
  /** Each handler's promise settles once its turn has run, or been dropped by `stop`. */
  onValid(config: Config): Promise<void>;
  onInvalid(error: Error): Promise<void>;
  onHeld(reason: string): Promise<void>;
  /** Drops what waits: nothing is applied or reported any more (the gateway is stopping). */
  stop(): void;
}

/**
 * `handlers` told of each change in the order the source tells them, each config once what it
 * needs is loaded: the price catalogue is loaded on first need, so a config that names the first
 * provider it prices waits for the load, and every change after it (valid, invalid or held) waits
 * its turn behind it, so that the last one told is the one that stands. With nothing waiting and
 * nothing to load, as for almost every change, a handler runs at once. A load that fails refuses
 * its config (`onInvalid`), and the next is applied as usual. A handler's own error in a turn
 * that waited is `unexpected` (nobody is there to throw it to), never a refusal: a config whose
 * snapshot is in place is in force whatever a handler did after.
 */
export function appliedWhenLoaded(
  handlers: ChangeHandlers,
  unexpected: (error: unknown) => void,
  needs: ConfigNeeds = CATALOGUE,
): ConfigQueue {
  const turns = inTurns(unexpected);
  const load = async (config: Config): Promise<boolean> => {
    try {
      await needs.load(config);
      return true;
    } catch (error) {
      handlers.onInvalid(new Error(`could not apply: ${messageOf(error)}`));
      return false;
    }
  };
  return {
    onValid: (config) =>
      needs.ready(config)
        ? turns.take(() => handlers.onValid(config), true)
        : turns.take(async () => {
            // Stopped while it loaded: dropped, as a config still waiting is.
            if (needs.ready(config) || ((await load(config)) && !turns.stopped())) handlers.onValid(config);
          }, false),
    onInvalid: (error) => turns.take(() => handlers.onInvalid(error), true),
    onHeld: (reason) => turns.take(() => handlers.onHeld(reason), true),
    stop: turns.stop,
  };
}
