/**
 * Where a Worker thread's entry is: `sourceUrl` (beside its owner) when running from source
 * (`bun`, tests, embedders); inside a compiled `mindgw`, `bundledPath`, its path under `src/`,
 * which scripts/build.ts bundles as an entrypoint of its own.
 */
export function threadEntry(importMetaUrl: string, sourceUrl: URL, bundledPath: string): string {
  return importMetaUrl.includes("/$bunfs/") ? bundledPath : sourceUrl.href;
}
