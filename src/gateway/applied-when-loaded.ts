import type { Config } from "../config/config-schema.ts";
import { type ConfigWatchHandlers, REFUSED_FOR_NOW } from "../config/watch-config.ts";
import { messageOf } from "../core/describe-error.ts";
import { inTurns } from "../core/in-turns.ts";
import { settlesWithin } from "../core/settles-within.ts";
import {
  CATALOGUE_LOAD_LIMIT_MS,
  catalogueReadyFor,
  loadCatalogueFor,
} from "../pricing/catalogue-on-demand.ts";

/** What a config needs loaded before it is put to use, and how to load it. */
export interface ConfigNeeds {
  /** What is loaded, as a refusal names it. */
  readonly what: string;
  /**
   * How long a load may take before its config is refused: a load that never settles (an
   * `import()` that hangs) must not hold every change after it for good.
   */
  readonly withinMs: number;
  ready(config: Config): boolean;
  load(config: Config): Promise<void>;
}

/** The price catalogue, for a config naming a provider it prices (pricing/catalogue-on-demand.ts). */
const CATALOGUE: ConfigNeeds = {
  what: "the price catalogue",
  withinMs: CATALOGUE_LOAD_LIMIT_MS,
  ready: (config) => catalogueReadyFor(config.providers),
  load: (config) => loadCatalogueFor(config.providers),
};

/**
 * What is told of each change, in turn: a source's handlers, every one of them there. A config
 * told is one whose needs are loaded, so `onValid` puts it in force, or refuses it (for what it
 * says, or `REFUSED_FOR_NOW` when a part could not be built from it).
 */
export type ChangeHandlers = Required<ConfigWatchHandlers>;

type Said = Awaited<ReturnType<ChangeHandlers["onValid"]>>;

/** Tells `onValid` of `config`, and `said` what it said of it. */
function applyNow(
  handlers: ChangeHandlers,
  config: Config,
  said: (outcome: Said) => void,
): Promise<void> | undefined {
  const outcome = handlers.onValid(config);
  if (outcome instanceof Promise) return outcome.then(said);
  said(outcome);
  return undefined;
}

/**
 * Each handler's promise settles once its turn has run, or been dropped by `stop`, with what a
 * source's handler may say of its change (`onValid`: `REFUSED_FOR_NOW`).
 */
type InTurn<Handlers> = {
  [Name in keyof Handlers]: Handlers[Name] extends (...args: infer Told) => infer Said
    ? (...args: Told) => Promise<Awaited<Said>>
    : never;
};

/** A source's handlers (ConfigWatchHandlers), each change told to `ChangeHandlers` in turn. */
export interface ConfigQueue extends InTurn<Required<ConfigWatchHandlers>> {
  /** Drops what waits, and settles every handler's promise: nothing is applied or reported any more (the gateway is stopping). */
  stop(): void;
}

/**
 * `handlers` told of each change in the order the source tells them, each config once what it
 * needs is loaded: the price catalogue is loaded on first need, so a config that names the first
 * provider it prices waits for the load, and every change after it (valid, invalid or held) waits
 * its turn behind it, so that the last one told is the one that stands. With nothing waiting and
 * nothing to load, as for almost every change, a handler runs at once. A load that fails, or does
 * not settle within `needs.withinMs`, refuses its config (`onInvalid`), and the next is applied as
 * usual; its `onValid` settles `REFUSED_FOR_NOW`, the text not being at fault, so the file's watch
 * reads it again at the next reload. Once stopped, a load that ends, however it ends, is neither
 * applied nor reported. A handler's own error, at once or in a turn that waited, is `unexpected` (core/in-turns.ts), never
 * a refusal: a config whose snapshot is in place is in force whatever a handler did after.
 */
export function appliedWhenLoaded(
  handlers: ChangeHandlers,
  unexpected: (error: unknown) => void,
  needs: ConfigNeeds = CATALOGUE,
): ConfigQueue {
  const turns = inTurns(unexpected);
  const load = async (config: Config): Promise<boolean> => {
    try {
      const seconds = needs.withinMs / 1000;
      await settlesWithin(
        needs.load(config),
        needs.withinMs,
        `${needs.what} did not load within ${seconds} s`,
      );
      return true;
    } catch (error) {
      // Stopped while it loaded: dropped, as a config still waiting is.
      if (!turns.stopped()) await handlers.onInvalid(new Error(`could not apply: ${messageOf(error)}`));
      return false;
    }
  };
  return {
    onValid: async (config) => {
      let said: Said | undefined;
      const tell = (outcome: Said) => {
        said = outcome;
      };
      if (needs.ready(config)) {
        await turns.take(() => applyNow(handlers, config, tell), true);
        return said;
      }
      await turns.take(async () => {
        if (!(await load(config))) {
          said = REFUSED_FOR_NOW;
          return;
        }
        // Stopped while it loaded: dropped, as a config still waiting is.
        if (!turns.stopped()) return applyNow(handlers, config, tell);
      }, false);
      return said;
    },
    onInvalid: (error) => turns.take(() => handlers.onInvalid(error), true),
    onHeld: (reason) => turns.take(() => handlers.onHeld(reason), true),
    stop: turns.stop,
  };
}
