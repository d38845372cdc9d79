import type { UiAsset } from "./ui-asset.ts";

/**
 * The web UI's bundle as compiled into the executable. `scripts/build.ts` replaces this module's
 * text with the built files; run from source it is null and the bundle is built on first use.
 */
export const EMBEDDED_ASSETS: readonly UiAsset[] | null = null;
