import type { Config } from "../config/config-schema.ts";
import { type ConfigWatchHandlers, type InForceLater, REFUSED_FOR_NOW } from "../config/watch-config.ts";
import { messageOf } from "../core/describe-error.ts";
import { inTurns } from "../core/in-turns.ts";
import { loadedWithin, StillLoading } from "../core/loaded-within.ts";
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
export interface ChangeHandlers extends Required<ConfigWatchHandlers> {
  /**
   * A load that passed its limit has ended after all, and the config refused for it, told last,
   * is about to be applied (`onValid`): said once, before it.
   */
  onLoadedLate(what: string): void;
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

type Said = Awaited<ReturnType<ChangeHandlers["onValid"]>>;

/** A config refused while its load ran late, applied once the load ends if nothing is told after it. */
interface RefusedForLate {
  readonly config: Config;
  /** The count of changes told when it was: any other since, and it no longer stands. */
  readonly told: number;
  readonly inForceLater: InForceLater | undefined;
}

/**
 * `handlers` told of each change in the order the source tells them, each config once what it
 * needs is loaded: the price catalogue is loaded on first need, so a config that names the first
 * provider it prices waits for the load, and every change after it (valid, invalid or held) waits
 * its turn behind it, so that the last one told is the one that stands. With nothing waiting and
 * nothing to load, as for almost every change, a handler runs at once. A load that fails, or does
 * not settle within `needs.withinMs`, refuses its config (`onInvalid`), and the next is applied as
 * usual; its `onValid` settles `REFUSED_FOR_NOW`, the text not being at fault, so the file's watch
 * reads it again at the next reload. A load past its limit is not waited for again: a config that
 * needs it meanwhile is refused at once, and when the load ends after all, the config refused for
 * it is applied then (`onLoadedLate`, then `onValid`, and the source's `inForceLater`), provided no
 * change was told after it. Once stopped, a load that ends, however it ends, is neither applied
 * nor reported. A handler's own error, at once or in a turn that waited, is `unexpected`
 * (core/in-turns.ts), never a refusal: a config whose snapshot is in place is in force whatever a
 * handler did after.
 */
export function appliedWhenLoaded(
  handlers: ChangeHandlers,
  unexpected: (error: unknown) => void,
  needs: ConfigNeeds = CATALOGUE,
): ConfigQueue {
  const turns = inTurns(unexpected);
  /** Changes told so far, counted as they are told (before their turn). */
  let told = 0;
  /** A load past its limit is still under way: what needs it is refused at once, not held again. */
  let late = false;
  /** The config refused last while `late` runs, applied once it ends. */
  let refusedForLate: RefusedForLate | undefined;
  const seconds = needs.withinMs / 1000;

  /** Applies `config` in force now (its needs loaded); what `onValid` said of it. */
  const applyNow = (config: Config, said: (outcome: Said) => void): Promise<void> | undefined => {
    const outcome = handlers.onValid(config);
    if (outcome instanceof Promise) return outcome.then(said);
    said(outcome);
    return undefined;
  };
  /** A load past its limit: once it ends, the config refused for it is applied, if it still stands. */
  const awaitLate = (loading: Promise<void>) => {
    late = true;
    const ended = loading.then(
      () => true,
      () => false,
    );
    void ended.then((loaded) => {
      late = false;
      const waiting = refusedForLate;
      refusedForLate = undefined;
      if (!loaded || waiting === undefined) return;
      void turns.take(() => {
        // Told after it (while this turn waited, too): the newer change stands.
        if (waiting.told !== told || turns.stopped()) return;
        handlers.onLoadedLate(needs.what);
        return applyNow(waiting.config, (outcome) => {
          if (outcome !== REFUSED_FOR_NOW) waiting.inForceLater?.();
        });
      }, true);
    });
  };
  /**
   * Loads what `refused.config` needs; why it could not, if it could not. Refused because the load
   * is late, it is the config applied when the load ends: noted as the lateness is, in the same
   * run, whatever the load does in the turns before its refusal is told.
   */
  const load = async (refused: RefusedForLate): Promise<string | undefined> => {
    if (late) {
      refusedForLate = refused;
      return `${needs.what} is still loading, past its ${seconds} s limit`;
    }
    const loading = needs.load(refused.config);
    try {
      await loadedWithin(loading, needs.withinMs, `${needs.what} did not load within ${seconds} s`);
      return undefined;
    } catch (error) {
      if (error instanceof StillLoading) {
        refusedForLate = refused;
        awaitLate(loading);
      }
      return messageOf(error);
    }
  };
  return {
    onValid: async (config, inForceLater) => {
      const mine = ++told;
      let said: Said | undefined;
      const tell = (outcome: Said) => {
        said = outcome;
      };
      if (needs.ready(config)) {
        await turns.take(() => applyNow(config, tell), true);
        return said;
      }
      await turns.take(async () => {
        const why = await load({ config, told: mine, inForceLater });
        // Stopped while it loaded: dropped, as a config still waiting is.
        if (turns.stopped()) return;
        if (why === undefined) return applyNow(config, tell);
        said = REFUSED_FOR_NOW;
        await handlers.onInvalid(new Error(`could not apply: ${why}`));
      }, false);
      return said;
    },
    onInvalid: (error) => {
      told++;
      return turns.take(() => handlers.onInvalid(error), true);
    },
    onHeld: (reason) => {
      told++;
      return turns.take(() => handlers.onHeld(reason), true);
    },
    stop: turns.stop,
  };
}
