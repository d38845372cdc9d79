/** PostgreSQL BIGINT columns arrive as strings (exact); epoch ms and counts fit a double. */
export const asNumber = (value: string | number | bigint): number => Number(value);

export const asNumberOrNull = (value: string | number | bigint | null): number | null =>
  value === null ? null : Number(value);
