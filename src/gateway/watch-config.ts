import type { ConfigSource } from "../config/config-source.ts";
import type { ReloadPolicy } from "./apply-reload.ts";

/**
 * The config source's changes applied through `reload`, until the returned stop: what waits its
 * turn behind a load is dropped too, never applied after the stop, its providers never made to be
 * left open.
 */
export function watchConfig(source: ConfigSource, reload: ReloadPolicy): () => void {
  const stopWatching = source.watch(reload);
  return () => {
    stopWatching();
    reload.stop();
  };
}
