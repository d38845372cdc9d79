import { cellWidth } from "../core/cell-width.ts";
import { printable } from "../core/printable.ts";

/** A column of a plain-text table: its title and how to render one item's cell. */
export type Column<T> = readonly [title: string, cell: (item: T) => string];

/** An aligned table for people (two spaces between columns); `--json` output is for scripts. */
export function textTable<T>(columns: readonly Column<T>[], items: readonly T[]): string {
  let text = "";
  const table = tableWriter(columns, (part) => (text += part));
  table.add(items);
  return text;
}

/**
 * `textTable` written a batch of items at a time, so a long listing is never held whole: the
 * columns are as wide as the first batch (and the titles) need, and widen from the batch whose
 * cells are wider. A listing that comes in one batch prints exactly as `textTable`.
 */
export function tableWriter<T>(
  columns: readonly Column<T>[],
  write: (text: string) => void,
): { add(items: readonly T[]): void; end(): void } {
  let widths: number[] | null = null;
  const add = (items: readonly T[]) => {
    const rows = [
      ...(widths === null ? [columns.map(([title]) => title)] : []),
      // Names come from whoever created a key or connected a worker: never raw to a terminal.
      ...items.map((item) => columns.map(([, cell]) => printable(cell(item)))),
    ];
    const before = widths;
    widths = columns.map((_, i) => Math.max(before?.[i] ?? 0, ...rows.map((row) => cellWidth(row[i] ?? ""))));
    const at = widths;
    if (rows.length > 0)
      write(
        `${rows
          .map((row) =>
            row
              .map((cell, i) => cell + " ".repeat(Math.max(0, (at[i] ?? 0) - cellWidth(cell))))
              .join("  ")
              .trimEnd(),
          )
          .join("\n")}\n`,
      );
  };
  return {
    add,
    end() {
      // No batch at all: the titles alone, as `textTable` of nothing.
      if (widths === null) add([]);
    },
  };
}
