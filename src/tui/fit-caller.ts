import { jwtSubjectParts } from "../auth/caller-id.ts";
import { cellWidth } from "../core/cell-width.ts";
import { printable } from "../core/printable.ts";
import { fit, truncate } from "./format.ts";

const PREFIX = "jwt:";

/**
 * Fits a caller's label (caller-label.ts) into `width` cells. A JWT subject's id gives up its
 * tenant before its name (`jwt:…:alice.smith-long`, `jwt:platf…:alice.smith-long`): cut at the end
 * as any other text, every subject of a tenant read `jwt:default…`, told apart by nothing.
 */
export function fitCaller(label: string, width: number): string {
  const parts = jwtSubjectParts(label);
  if (parts === undefined || cellWidth(printable(label)) <= width) return fit(label, width);
  const room = width - PREFIX.length - 1 - cellWidth(printable(parts.name));
  // As the id spells it (`acme%3Aeu` for tenant `acme:eu`: caller-id.ts), as `--key` takes it.
  const spelt = label.slice(PREFIX.length, label.length - parts.name.length - 1);
  const tenant = room >= 1 ? truncate(spelt, room) : "…";
  return fit(`${PREFIX}${tenant}:${parts.name}`, width);
}
