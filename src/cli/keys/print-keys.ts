import type { KeyView } from "../../auth/key-view.ts";

const columns: [string, (key: KeyView) => string][] = [
  ["ID", (k) => k.id],
  ["NAME", (k) => k.name],
  ["ROLE", (k) => k.role],
  ["TENANT", (k) => k.tenant],
  ["MODELS", (k) => k.models.join(",")],
  ["KEY", (k) => k.key_preview],
  ["STATUS", (k) => k.status],
  ["CREATED", (k) => k.created_at.slice(0, 19)],
];

/** A plain aligned table for people; `--json` output is for scripts. */
export function keysTable(keys: readonly KeyView[]): string {
  const rows = [columns.map(([title]) => title), ...keys.map((key) => columns.map(([, cell]) => cell(key)))];
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

export function keyDetail(key: KeyView): string {
  return `${Object.entries(key)
    .map(
      ([field, value]) =>
        `${field.padEnd(13)} ${Array.isArray(value) ? value.join(",") : String(value ?? "-")}`,
    )
    .join("\n")}\n`;
}
