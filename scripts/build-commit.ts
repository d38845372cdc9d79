/**
 * The commit an executable is built from (core/build-commit.ts), read before the build writes
 * anything: `MINDGW_BUILD_COMMIT` when set (the Dockerfile's build argument: the oven/bun images
 * have no git, and a build context need not hold .git), else git's short HEAD, "-dirty" when the
 * tree holds uncommitted changes; "unknown" when neither says (no git on PATH, not a checkout).
 * Never "dev": that is a run from source, which no executable is.
 */
export function buildCommit(env: Record<string, string | undefined> = process.env): string {
  const given = env.MINDGW_BUILD_COMMIT?.trim();
  if (given) {
    // It ends the release's semver build metadata (`0.1.0+<commit>`): identifiers of [0-9A-Za-z-].
    if (!/^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/.test(given))
      throw new Error(`MINDGW_BUILD_COMMIT: "${given}" is not a commit (letters, digits, - and .)`);
    return given;
  }
  const head = git("rev-parse", "--short", "HEAD");
  if (head === undefined) return "unknown";
  const dirty = (git("status", "--porcelain") ?? "") !== "";
  return `${head}${dirty ? "-dirty" : ""}`;
}

/** git's answer, or undefined when it fails or cannot run (Bun.spawnSync throws ENOENT without it). */
function git(...args: string[]): string | undefined {
  try {
    const run = Bun.spawnSync(["git", ...args], { stderr: "ignore" });
    return run.exitCode === 0 ? run.stdout.toString().trim() : undefined;
  } catch {
    return undefined;
  }
}
