import type { KeyView } from "../../auth/key-view.ts";
import { type Column, textTable } from "../text-table.ts";

const columns: Column<KeyView>[] = [
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
  return textTable(columns, keys);
}

/** One key's fields, one a line. A plain key or a rotation's previous key is printed by the caller. */
export function keyDetail(key: KeyView & { key?: string; previous?: KeyView }): string {
  const { key: _plain, previous: _previous, ...view } = key;
  return `${Object.entries(view)
    .map(
      ([field, value]) =>
        `${field.padEnd(13)} ${Array.isArray(value) ? value.join(",") : String(value ?? "-")}`,
    )
    .join("\n")}\n`;
}
