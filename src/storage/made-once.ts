/**
 * A value a store keeps once, made by the first process that asks: read it; when there is none,
 * insert one that yields to any already there (`ON CONFLICT DO NOTHING`, `INSERT OR IGNORE`), then
 * read what won. Processes that start together on one database thus end with the same value.
 */
export async function madeOnce<T>(
  what: string,
  read: () => Promise<T | undefined> | T | undefined,
  insert: () => Promise<unknown> | unknown,
): Promise<T> {
  const held = await read();
  if (held !== undefined) return held;
  await insert();
  const made = await read();
  if (made === undefined) throw new Error(`${what}: none was kept`);
  return made;
}
