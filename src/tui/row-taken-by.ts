import type { RequestRow } from "./tail-store.ts";

/**
 * Whether `row` was taken by `node` (any, when none is named), by its process `instance` when the
 * row and the leaving both name one: a node started again under its id serves on as another.
 */
export const tookBy = (row: RequestRow, node: string | undefined, instance: string | undefined): boolean =>
  node === undefined ||
  (row.node === node && (instance === undefined || row.instance === undefined || row.instance === instance));
