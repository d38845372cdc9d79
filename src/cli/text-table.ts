import { printable } from "../core/printable.ts";

/** A column of a plain-text table: its title and how to render one item's cell. */
export type Column<T> = readonly [title: string, cell: (item: T) => string];

/** An aligned table for people (two spaces between columns); `--json` output is for scripts. */
export function textTable<T>(columns: readonly Column<T>[], items: readonly T[]): string {
  const rows = [
    columns.map(([title]) => title),
    // Names come from whoever created a key or connected a worker: never raw to a terminal.
    ...items.map((item) => columns.map(([, cell]) => printable(cell(item)))),
  ];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
