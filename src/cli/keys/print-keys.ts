import type { KeyView } from "../../auth/key-view.ts";
import { type Column, tableWriter } from "../text-table.ts";

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

/**
 * `keys list`: a plain aligned table for people, or with `json` `{ "keys": [...] }` as `JSON.stringify(…, null, 2)` writes
 * it, printed a page at a time as the pages come, so a listing of any length holds one page. Nothing
 * is written before the first key (or the end): a listing whose first page fails (the gateway down,
 * the admin key refused) leaves no half document on stdout for a script to read. Returns how many
 * keys it printed.
 */
export async function printKeyPages(
  pages: AsyncIterable<readonly KeyView[]>,
  json: boolean,
  write: (text: string) => void,
): Promise<number> {
  let listed = 0;
  if (!json) {
    const table = tableWriter(columns, write);
    for await (const page of pages) {
      table.add(page);
      listed += page.length;
    }
    table.end();
    return listed;
  }
  let first = true;
  for await (const page of pages) {
    listed += page.length;
    if (page.length === 0) continue;
    const entries = page.map((key) => JSON.stringify(key, null, 2).replace(/^/gm, "    "));
    write(`${first ? '{\n  "keys": [\n' : ",\n"}${entries.join(",\n")}`);
    first = false;
  }
  write(first ? '{\n  "keys": []\n}\n' : "\n  ]\n}\n");
  return listed;
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
