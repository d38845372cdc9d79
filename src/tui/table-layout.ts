import { callerLabel } from "../audit/caller-label.ts";
import { cellWidth } from "../core/cell-width.ts";
import { printable } from "../core/printable.ts";
import { fitCaller } from "./fit-caller.ts";
import { fit, formatClock, formatCount, formatMs } from "./format.ts";
import type { RequestRow } from "./tail-store.ts";

export type ColumnId = "time" | "key" | "model" | "route" | "status" | "ttfb" | "latency" | "tokens";

/** A column placed at a width; flexible columns share what the fixed ones leave. */
export interface Column {
  id: ColumnId;
  title: string;
  width: number;
  align: "left" | "right";
}

interface ColumnSpec {
  id: ColumnId;
  title: string;
  min: number;
  /** Extra width beyond `min` this column may take (0 = fixed). */
  grow: number;
  align: "left" | "right";
  /** Lower drops first when the terminal is too narrow. */
  keep: number;
}

const SPECS: ColumnSpec[] = [
  { id: "time", title: "TIME", min: 8, grow: 0, align: "left", keep: 3 },
  { id: "key", title: "KEY", min: 6, grow: 14, align: "left", keep: 5 },
  { id: "model", title: "MODEL", min: 8, grow: 22, align: "left", keep: 8 },
  { id: "route", title: "ROUTE", min: 8, grow: 22, align: "left", keep: 4 },
  { id: "status", title: "ST", min: 3, grow: 0, align: "right", keep: 9 },
  { id: "ttfb", title: "TTFB", min: 6, grow: 0, align: "right", keep: 2 },
  { id: "latency", title: "TOTAL", min: 6, grow: 0, align: "right", keep: 7 },
  { id: "tokens", title: "TOK IN/OUT", min: 10, grow: 0, align: "right", keep: 1 },
];

/** The widest cell each flexible column holds among the rows shown (`widestCells`). */
export type ContentWidths = Partial<Record<ColumnId, number>>;

/**
 * Columns that fit `width` cells (one space between columns), widest layout first. The spare cells
 * go first where the rows need them (`content`: a key column of `jwt:platform-engineering:alice…`
 * ids takes what a short model leaves), then up to each flexible column's usual width.
 */
export function layoutColumns(width: number, content: ContentWidths = {}): Column[] {
  let specs = [...SPECS];
  const need = (list: ColumnSpec[]) => list.reduce((sum, c) => sum + c.min, 0) + Math.max(0, list.length - 1);
  while (specs.length > 1 && need(specs) > width) {
    const drop = specs.reduce((low, c) => (c.keep < low.keep ? c : low));
    specs = specs.filter((c) => c !== drop);
  }
  let spare = Math.max(0, width - need(specs));
  const widths = new Map(specs.map((c) => [c.id, Math.min(c.min, width)]));
  const flexible = specs.filter((c) => c.grow > 0);
  // Hand out spare cells one at a time so the flexible columns grow together, each up to `target`.
  const growTo = (target: (c: ColumnSpec) => number) => {
    while (spare > 0) {
      const growable = flexible.filter((c) => (widths.get(c.id) ?? 0) < target(c));
      if (growable.length === 0) return;
      for (const c of growable) {
        if (spare === 0) return;
        widths.set(c.id, (widths.get(c.id) ?? 0) + 1);
        spare--;
      }
    }
  };
  growTo((c) => content[c.id] ?? 0);
  growTo((c) => c.min + c.grow);
  return specs.map((c) => ({ id: c.id, title: c.title, width: widths.get(c.id) ?? c.min, align: c.align }));
}

/** The raw text of one cell, before fitting. */
export function cellText(row: RequestRow, id: ColumnId): string {
  switch (id) {
    case "time":
      return formatClock(row.startedAt);
    case "key":
      return callerLabel(row.keyId, row.keyName) ?? "-";
    case "model":
      return row.model ?? "-";
    case "route":
      return row.route ?? (row.status === null ? (row.gap === "lost" ? "node lost" : "…") : "-");
    case "status":
      return row.status === null ? (row.gap ? "?" : "…") : String(row.status);
    case "ttfb":
      return formatMs(row.ttfbMs);
    case "latency":
      return formatMs(row.latencyMs);
    case "tokens":
      return row.status === null ? "-" : `${formatCount(row.inputTokens)}/${formatCount(row.outputTokens)}`;
  }
}

/** What the flexible columns' cells take at most, in cells, over `rows` (for `layoutColumns`). */
export function widestCells(rows: readonly RequestRow[]): ContentWidths {
  const widest: ContentWidths = {};
  for (const id of ["key", "model", "route"] as const)
    widest[id] = rows.reduce((most, row) => Math.max(most, cellWidth(printable(cellText(row, id)))), 0);
  return widest;
}

export const renderCell = (row: RequestRow, column: Column): string =>
  column.id === "key"
    ? fitCaller(cellText(row, "key"), column.width)
    : fit(cellText(row, column.id), column.width, column.align);

export const renderTitle = (column: Column): string => fit(column.title, column.width, column.align);
