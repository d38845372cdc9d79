import { type FSWatcher, readFileSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Config } from "./config-schema.ts";
import { loadConfigFile } from "./load-config.ts";

export interface ConfigWatchHandlers {
  onValid(config: Config): void;
  onInvalid(error: Error): void;
}

export interface ConfigWatch {
  /** Reads the file now (SIGHUP); false when its content has not changed since the last read. */
  reload(): Promise<boolean>;
  stop(): void;
}

/**
 * Watches the config file's directory (editors and deploy tools replace files by rename,
 * which a watch on the file itself would miss) and reloads after changes settle. Only a
 * change of content triggers a reload.
 */
export function watchConfig(path: string, handlers: ConfigWatchHandlers, settleMs = 150): ConfigWatch {
  const file = resolve(path);
  const name = basename(file);
  // Read now, synchronously: an edit made right after the watch starts must count as a change.
  let lastText: string | undefined = readInitial(file);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const reload = async (): Promise<boolean> => {
    if (stopped) return false;
    const text = await Bun.file(file)
      .text()
      .catch(() => undefined);
    if (text === undefined || text === lastText) return false;
    lastText = text;
    try {
      handlers.onValid(await loadConfigFile(file));
    } catch (error) {
      handlers.onInvalid(error instanceof Error ? error : new Error(String(error)));
    }
    return true;
  };

  const watcher: FSWatcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(reload, settleMs);
  });
  return {
    reload,
    stop() {
      stopped = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}

function readInitial(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
