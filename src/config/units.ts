const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * "250ms", "30s", "10m", "2h", "30d" → milliseconds. A bare number is refused (only 0 needs no
 * unit): `idle: 60` meant as a minute would otherwise be read as 60 ms.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return text === 0 ? 0 : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = match[2];
  if (unit === undefined) return Number(match[1]) === 0 ? 0 : undefined;
  return Math.round(Number(match[1]) * (DURATION_UNITS[unit.toLowerCase()] ?? 1));
}

/**
 * Milliseconds → the shortest exact spelling `parseDuration` reads back to the same number:
 * 30000 → "30s", 2592000000 → "30d", 1500 → "1500ms". `config check` prints durations this way.
 */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = DURATION_UNITS[unit] ?? 1;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Bytes → the largest unit that spells them exactly, as config is written: 10485760 → "10MB", 1500 → "1500B". */
export function formatSize(bytes: number): string {
  for (const unit of ["gb", "mb", "kb"] as const) {
    const size = SIZE_UNITS[unit] ?? 1;
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit.toUpperCase()}`;
  }
  return `${bytes}B`;
}

/** "10MB", "512KB", "1GB" or a bare number of bytes → bytes. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isInteger(text) && text >= 0 ? text : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? "b").toLowerCase()] ?? 1));
}
