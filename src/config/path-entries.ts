import { lstatSync, readlinkSync } from "node:fs";
import { dirname, isAbsolute, join, parse, sep } from "node:path";

/** One name in one directory. */
export interface PathEntry {
  readonly dir: string;
  readonly name: string;
}

/** The kernel's own bound on symlinks followed in one lookup (ELOOP past it). */
const MAX_LINKS = 40;

const parts = (path: string) => path.split(sep).filter((part) => part !== "" && part !== ".");

/**
 * The directory entries that decide what reading `path` returns: every symlink followed on the
 * way, the file finally reached, or the first entry found missing. A Kubernetes ConfigMap mount
 * gives `config.yaml -> ..data/config.yaml` and `..data -> ..2024_01_01_…`: an update renames a
 * new `..data` into place, and that rename is the only change a watcher can see. A change to any
 * entry listed can change the file's content; a change anywhere else cannot.
 *
 * Resolved one component at a time, as the kernel does: `..` after a symlink leaves the link's
 * target, not the folder the link sits in.
 */
export function pathEntries(path: string): PathEntry[] {
  // Not `join`/`resolve`: they fold `link/..` away by spelling, before the link is looked at.
  const absolute = isAbsolute(path) ? path : `${process.cwd()}${sep}${path}`;
  const entries: PathEntry[] = [];
  let dir = parse(absolute).root;
  let pending = parts(absolute);
  let links = 0;
  while (pending.length > 0) {
    const [name, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (name === "..") {
      dir = dirname(dir);
      continue;
    }
    const full = join(dir, name);
    let target: string | undefined;
    try {
      target = lstatSync(full).isSymbolicLink() ? readlinkSync(full) : undefined;
    } catch {
      // Missing (or unreadable): its creation is the change to wait for.
      entries.push({ dir, name });
      return entries;
    }
    if (target === undefined) {
      if (pending.length === 0) entries.push({ dir, name });
      dir = full;
      continue;
    }
    entries.push({ dir, name });
    if (++links > MAX_LINKS) return entries;
    if (isAbsolute(target)) dir = parse(target).root;
    pending = [...parts(target), ...pending];
  }
  return entries;
}
