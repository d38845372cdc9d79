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

export function keyDetail(key: KeyView): string {
  return `${Object.entries(key)
    .map(
      ([field, value]) =>
        `${field.padEnd(13)} ${Array.isArray(value) ? value.join(",") : String(value ?? "-")}`,
    )
    .join("\n")}\n`;
}
