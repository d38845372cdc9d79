import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// scripts/build.ts names the commit it compiles before it builds anything: where the oven/bun image
// the Dockerfile builds in has no git, a throw there stopped `docker build` itself.

const SCRIPT = join(import.meta.dir, "../../scripts/build-commit.ts");
/** A PATH with no git on it: an empty folder (an empty PATH makes Bun look in the system's folders). */
const NO_GIT = mkdtempSync(join(tmpdir(), "mindgw-no-git-"));
afterAll(() => rmSync(NO_GIT, { recursive: true, force: true }));

/** buildCommit() in a process of its own, with this environment alone (PATH included). */
function buildCommitWith(env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const run = Bun.spawnSync(
    [
      process.execPath,
      "-e",
      `const { buildCommit } = await import(${JSON.stringify(SCRIPT)}); console.log(buildCommit());`,
    ],
    // off-cloud: no gateway, only the build's commit lookup, in this environment alone.
    { env: { HOME: process.env.HOME ?? "/tmp", ...env }, cwd: join(import.meta.dir, "../..") },
  );
  return { code: run.exitCode, stdout: run.stdout.toString().trim(), stderr: run.stderr.toString() };
}

test("with no git on PATH the build goes on, its commit unknown (never dev: that is a run from source)", () => {
  expect(buildCommitWith({ PATH: NO_GIT })).toEqual({ code: 0, stdout: "unknown", stderr: "" });
});

test("MINDGW_BUILD_COMMIT, the Dockerfile's build argument, is taken before git is asked", () => {
  expect(buildCommitWith({ PATH: NO_GIT, MINDGW_BUILD_COMMIT: "1a2b3c4" }).stdout).toBe("1a2b3c4");
  expect(buildCommitWith({ PATH: process.env.PATH ?? "", MINDGW_BUILD_COMMIT: "1a2b3c4-dirty" }).stdout).toBe(
    "1a2b3c4-dirty",
  );
  // Empty (an ARG given no value) is not set; a value that is no semver build metadata stops the build.
  expect(buildCommitWith({ PATH: NO_GIT, MINDGW_BUILD_COMMIT: "" }).stdout).toBe("unknown");
  const bad = buildCommitWith({ PATH: NO_GIT, MINDGW_BUILD_COMMIT: "1a2b 3c4" });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain("MINDGW_BUILD_COMMIT");
});

test("in a checkout with git, HEAD's short sha, -dirty when the tree holds changes", () => {
  const head = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  expect(buildCommitWith({ PATH: process.env.PATH ?? "" }).stdout).toMatch(new RegExp(`^${head}(-dirty)?$`));
});
