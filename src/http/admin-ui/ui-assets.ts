import { EMBEDDED_ASSETS } from "./embedded-assets.ts";
import type { UiAsset } from "./ui-asset.ts";

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
      EMBEDDED_ASSETS ??
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
