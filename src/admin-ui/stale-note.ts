import { clock } from "./format.ts";

/**
 * What figures kept from an earlier read say once the latest read failed (the page keeps them,
 * the error above): "as of HH:MM:SS", when they were read on the gateway's clock (useLoad's
 * `loadedAt`), as the times the gateway stamped beside them are. Null while they are the latest read's,
 * or when none was read.
 */
export function staleNote(loaded: {
  error: string | undefined;
  loadedAt: number | undefined;
}): string | null {
  return loaded.error === undefined || loaded.loadedAt === undefined
    ? null
    : `as of ${clock(loaded.loadedAt)}`;
}
