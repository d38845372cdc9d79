import type { Config } from "./config-schema.ts";
import { type Env, parseConfigText, readConfigText } from "./load-config.ts";
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
   * reason a change was refused (the previous config keeps serving). Returns a stop function. The
   * gateway's handlers return a promise, settled once the change is in force or refused.
   */
  watch(handlers: ConfigWatchHandlers): () => void;
  /** Reads the source now (SIGHUP); resolves false when nothing changed. */
  reload?(): Promise<boolean>;
}

/** A fixed config that never changes. */
export function staticConfigSource(config: Config): ConfigSource {
  return { initial: config, path: null, watch: () => () => {} };
}

/**
 * A YAML file, reloaded when its content changes (`mindgw serve -c FILE`). `initialText` is the
 * text `initial` was read from: an edit made after that read and before `watch` starts (while the
 * gateway starts) is then applied as soon as the watch starts. Without it, the file as it reads
 * when the watch starts is taken for `initial`'s text.
 */
export function fileConfigSource(path: string, initial: Config, initialText?: string): ConfigSource {
  let active: ConfigWatch | undefined;
  return {
    initial,
    path,
    watch(handlers) {
      active = watchConfig(path, handlers, initialText === undefined ? {} : { initialText });
      return () => active?.stop();
    },
    reload: () => active?.reload() ?? Promise.resolve(false),
  };
}

/** Reads and validates the YAML file, and watches it from the very text its first config came from. */
export async function openFileConfigSource(path: string, env: Env = process.env): Promise<ConfigSource> {
  const text = await readConfigText(path);
  return fileConfigSource(path, parseConfigText(path, text, env), text);
}
