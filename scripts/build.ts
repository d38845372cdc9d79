/**
 * Builds the single `dist/mindgw` executable, bundled as build-options.ts says. The web UI
 * (`/admin`) is bundled first and compiled in as text.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import type { BunPlugin } from "bun";
import { buildUi } from "../src/http/admin-ui/build-ui.ts";
import { buildCommit } from "./build-commit.ts";
import { BUNDLE, bundledGrpc, stubDevtools } from "./build-options.ts";

const commit = buildCommit();

const uiAssets = await buildUi();

const embedUi: BunPlugin = {
  name: "embed-admin-ui",
  setup(build) {
    build.onLoad({ filter: /admin-ui[\\/]embedded-assets\.ts$/ }, () => ({
      contents: `export const EMBEDDED_ASSETS = ${JSON.stringify(uiAssets)};`,
      loader: "ts",
    }));
  },
};

// Chunks are named by their content's hash, so each build's source maps have new names: the
// previous build's are removed, or dist/ would collect them build after build.
if (existsSync("dist"))
  for (const name of readdirSync("dist")) if (name.endsWith(".js.map")) rmSync(`dist/${name}`);

const result = await Bun.build({
  ...BUNDLE,
  entrypoints: [...BUNDLE.entrypoints],
  compile: { outfile: "./dist/mindgw" },
  sourcemap: "linked",
  plugins: [stubDevtools, bundledGrpc, embedUi],
  define: { "process.env.NODE_ENV": '"production"', MINDGW_BUILD_COMMIT: JSON.stringify(commit) },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const uiBytes = uiAssets.reduce((sum, asset) => sum + Buffer.byteLength(asset.body), 0);
console.log(
  `built dist/mindgw at ${commit} (admin UI: ${uiAssets.map((a) => a.name).join(", ")}; ${uiBytes} bytes)`,
);
