import type { Config } from "../config/config-schema.ts";
import { describeError } from "../core/describe-error.ts";
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

/**
 * `apply` for each config in the order they come, each once what it needs is loaded: the price
 * catalogue is loaded on first need, so a reload that names the first provider it prices waits
 * for the load, and every config after it waits its turn behind it. With nothing waiting and
 * nothing to load, as for almost every reload, `apply` runs at once. A load that fails refuses its
 * config (`failed`); the next is applied as usual.
 */
export function appliedWhenLoaded(
  apply: (config: Config) => void,
  failed: (error: Error) => void,
  needs: ConfigNeeds = CATALOGUE,
): (config: Config) => void {
  let waiting: Promise<void> | undefined;
  return (config) => {
    if (waiting === undefined && needs.ready(config)) {
      apply(config);
      return;
    }
    const turn: Promise<void> = (waiting ?? Promise.resolve())
      .then(() => (needs.ready(config) ? undefined : needs.load(config)))
      .then(() => apply(config))
      .catch((error: unknown) => failed(new Error(`could not apply: ${describeError(error)}`)));
    waiting = turn;
    void turn.finally(() => {
      if (waiting === turn) waiting = undefined;
    });
  };
}
