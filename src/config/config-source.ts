import type { Config } from "./config-schema.ts";
import { type ConfigWatch, type ConfigWatchHandlers, watchConfig } from "./watch-config.ts";

/**
 * Where the gateway's config comes from. The built-in one is a YAML file watched for edits;
 * an embedder can feed config from anywhere (a database, a control plane) by implementing this.
 */
export interface ConfigSource {
  /** The config to start with, already validated. */
  readonly initial: Config;
  /** Shown in the admin status as the config's origin; null when there is no file. */
  readonly path: string | null;
  /**
   * Starts delivering changes: `onValid` with each new validated config, `onInvalid` with the
   * reason a change was refused (the previous config keeps serving). Returns a stop function.
   */
  watch(handlers: ConfigWatchHandlers): () => void;
  /** Reads the source now (SIGHUP); resolves false when nothing changed. */
  reload?(): Promise<boolean>;
}

/** A fixed config that never changes. */
export function staticConfigSource(config: Config): ConfigSource {
  return { initial: config, path: null, watch: () => () => {} };
}

/** A YAML file, reloaded when its content changes (`mindgw serve -c FILE`). */
export function fileConfigSource(path: string, initial: Config): ConfigSource {
  let active: ConfigWatch | undefined;
  return {
    initial,
    path,
    watch(handlers) {
      active = watchConfig(path, handlers);
      return () => active?.stop();
    },
    reload: () => active?.reload() ?? Promise.resolve(false),
  };
}
