import { jwtSubjectParts } from "../auth/caller-id.ts";
import { printable } from "../core/printable.ts";
import { cellWidth, fit, truncate } from "./format.ts";

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
  const tenant = room >= 1 ? truncate(parts.tenant, room) : "…";
  return fit(`${PREFIX}${tenant}:${parts.name}`, width);
}
