import { type FSWatcher, watch } from "node:fs";
import { type PathEntry, pathEntries } from "./path-entries.ts";

export interface PathWatch {
  stop(): void;
}

/** The names that matter in each directory. */
function byDirectory(entries: readonly PathEntry[]): Map<string, Set<string>> {
  const dirs = new Map<string, Set<string>>();
  for (const { dir, name } of entries) {
    const names = dirs.get(dir) ?? new Set<string>();
    names.add(name);
    dirs.set(dir, names);
  }
  return dirs;
}

/**
 * Calls `onChange` when an entry that decides what `path` reads changes (path-entries.ts): the
 * file's own name in its folder (a replace by rename counts, which a watch on the file would
 * miss), each symlink on the way (a ConfigMap's `..data` swap) and the file a symlink leads to
 * (edited in place). The entries are resolved again after every change, so the watch follows a
 * swap to the new target's folder and lets go of the old one. Events for other names in those
 * folders (a database beside the config) are ignored. No polling: a filesystem that reports no
 * events (some network mounts) is reloaded with SIGHUP.
 */
export function watchPath(path: string, onChange: () => void): PathWatch {
  const watchers = new Map<string, FSWatcher>();
  let dirs = new Map<string, Set<string>>();
  let stopped = false;

  const follow = () => {
    dirs = byDirectory(pathEntries(path));
    for (const [dir, watcher] of watchers) {
      if (dirs.has(dir)) continue;
      watcher.close();
      watchers.delete(dir);
    }
    for (const dir of dirs.keys()) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => changed(dir, name));
        // A folder removed under the watch (an old ConfigMap version) ends it; the entries
        // resolved on that change no longer name it.
        watcher.on("error", () => {});
        watchers.set(dir, watcher);
      } catch {
        // Gone between resolving and watching: the change that removed it is seen from its parent.
      }
    }
  };

  const changed = (dir: string, name: string | null) => {
    if (stopped) return;
    if (name !== null && !dirs.get(dir)?.has(name)) return;
    follow();
    onChange();
  };

  follow();
  return {
    stop() {
      stopped = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
