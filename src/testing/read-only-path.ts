import { chmodSync, statSync } from "node:fs";

/**
 * Makes `path` (a file, or a folder no file can then be created in) read-only to this process, as a
 * read-only mount would, and returns how to undo it: as root, whom a chmod stops from nothing, the
 * immutable attribute as chattr sets it; else the mode (0444 a file, 0555 a folder). A test cannot
 * count on mounting. Throws when it cannot be done, rather than let a test pass on a writable path.
 */
export function readOnlyPath(path: string): () => void {
  if (process.getuid?.() !== 0) {
    const folder = statSync(path).isDirectory();
    chmodSync(path, folder ? 0o555 : 0o444);
    return () => chmodSync(path, folder ? 0o755 : 0o644);
  }
  const chattr = (flag: string) => Bun.spawnSync(["chattr", flag, path], { stderr: "pipe" });
  const frozen = chattr("+i");
  if (frozen.exitCode !== 0) throw new Error(`chattr +i ${path}: ${frozen.stderr.toString()}`);
  return () => void chattr("-i");
}
