import { basename } from "node:path";
import type { UiAsset } from "./ui-asset.ts";

const ENTRY = new URL("../../admin-ui/main.tsx", import.meta.url).pathname;

/**
 * Bundles the browser code under `src/admin-ui/` (Preact, uPlot, our CSS) into a few hashed files.
 * Used by `scripts/build.ts` to embed them in the executable, and from source on first use.
 */
export async function buildUi(): Promise<UiAsset[]> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    target: "browser",
    minify: true,
    naming: { entry: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]", chunk: "[name]-[hash].[ext]" },
    define: { "process.env.NODE_ENV": '"production"' },
  });
  if (!result.success) {
    throw new Error(`building the admin UI failed:\n${result.logs.map(String).join("\n")}`);
  }
  return Promise.all(
    result.outputs.map(async (output) => ({
      name: basename(output.path),
      kind: output.kind,
      contentType: output.type,
      body: await output.text(),
    })),
  );
}
