import type { RingBuffer } from "./ring-buffer.ts";
import type { RequestRow } from "./tail-store.ts";

/**
 * Whether `row` was taken by `node` (any, when none is named), by its process `instance` when the
 * row and the leaving both name one: a node started again under its id serves on as another.
 */
export const tookBy = (row: RequestRow, node: string | undefined, instance: string | undefined): boolean =>
  node === undefined ||
  (row.node === node && (instance === undefined || row.instance === undefined || row.instance === instance));

/**
 * Marks the rows in flight (`inFlight`: the rows of each request id in flight; those `node` took,
 * when given: of its process `instance` alone, when both name one) with `gap`. They stay in flight:
 * a finish that still comes replaces them (a node whose entry expired while it served on). A row
 * already `lost` stays so: a later gap hides no more of it than its node's leaving did, and "node
 * lost" says why.
 */
export function markGap(
  ring: RingBuffer<RequestRow>,
  inFlight: ReadonlyMap<string, readonly number[]>,
  gap: RequestRow["gap"],
  node?: string,
  instance?: string,
): void {
  for (const rows of inFlight.values()) {
    for (const seq of rows) {
      const row = ring.get(seq);
      if (row === undefined || row.status !== null || row.gap === "lost" || !tookBy(row, node, instance))
        continue;
      ring.set(seq, { ...row, gap });
    }
  }
}
