/**
 * A value as JSON with its object keys sorted and undefined fields left out, so equal values give
 * the same text whatever the order of their keys. `leaveOut` names fields to skip by their dotted
 * path (`server.port`; an array's items are `path[]`): what a comparison should not see.
 */
export function stableJson(value: unknown, leaveOut?: (path: string) => boolean, path = ""): string {
  if (Array.isArray(value))
    return `[${value.map((item) => stableJson(item, leaveOut, `${path}[]`)).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const fields: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    const at = path === "" ? key : `${path}.${key}`;
    if (item !== undefined && !leaveOut?.(at))
      fields.push(`${JSON.stringify(key)}:${stableJson(item, leaveOut, at)}`);
  }
  return `{${fields.join(",")}}`;
}
