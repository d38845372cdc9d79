import packageJson from "../../package.json" with { type: "json" };

/** Replaced by the build (scripts/build.ts `define`); absent when mindgw runs from source. */
declare const MINDGW_BUILD_COMMIT: string | undefined;

/**
 * The git commit the executable was compiled from: its short sha, with "-dirty" when the tree
 * held uncommitted changes, or the build's `MINDGW_BUILD_COMMIT` (a Docker build); "unknown" for
 * an executable built where neither said (scripts/build-commit.ts); "dev" run from source. Two
 * builds of one version tell apart by it.
 */
export const BUILD_COMMIT: string = typeof MINDGW_BUILD_COMMIT === "string" ? MINDGW_BUILD_COMMIT : "dev";

/** The release and the commit it was built from, as semver build metadata: `0.1.0+1a2b3c4`. */
export const RELEASE = `${packageJson.version}+${BUILD_COMMIT}`;
