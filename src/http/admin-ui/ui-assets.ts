import type { UiAsset } from "./ui-asset.ts";

/**
 * The files compiled into the executable (scripts/build.ts), read with the first request for the
 * UI: ~130 KB of text a gateway nobody opens /admin on need not hold.
 */
const embedded = (): readonly UiAsset[] | null =>
  (require("./embedded-assets.ts") as typeof import("./embedded-assets.ts")).EMBEDDED_ASSETS;

export interface UiBundle {
  readonly byName: ReadonlyMap<string, UiAsset>;
  readonly script: string;
  readonly styles: readonly string[];
}

let bundle: Promise<UiBundle> | undefined;

/** The UI's files: those compiled into the executable, else (from source) built once on demand. */
export function uiBundle(): Promise<UiBundle> {
  bundle ??= (async () => {
    const assets =
      embedded() ??
      (await (await import("./build-ui.ts")).buildUi().catch((error: unknown) => {
        bundle = undefined;
        throw error;
      }));
    const script = assets.find((a) => a.kind === "entry-point")?.name;
    if (!script) throw new Error("the admin UI bundle has no entry script");
    return {
      byName: new Map(assets.map((a) => [a.name, a])),
      script,
      styles: assets.filter((a) => a.name.endsWith(".css")).map((a) => a.name),
    };
  })();
  return bundle;
}
