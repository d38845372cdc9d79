import { statusClassOf } from "../audit/audit-record.ts";

/**
 * Display helpers shared by the pages. A figure moves to the next unit where it would round to a
 * thousand of this one (999.6 ms is `1.00 s`, 999,999 is `1.0M`), never `1000 ms` or `1000.0k`;
 * `count`'s last unit is B, so a figure past a trillion reads in thousands of B.
 */
export const ms = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "–"
    : value < 999.5
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(2)} s`;

/** Significant digits of a figure below a cent: one answer's cost is often a few millionths. */
const CENT_DIGITS = 3;

/**
 * A dollar figure: cents (`$1.25`), and below a cent three significant digits with no trailing
 * zeros (`$0.00000255`, `$0.001`), where five decimals showed a cheap answer as `$0.00000`. Never
 * in exponent notation (`toPrecision`'s `2.55e-7`).
 */
export const usd = (value: number | null | undefined) => {
  if (value === null || value === undefined) return "–";
  if (!(value > 0 && value < 0.01)) return `$${value.toFixed(2)}`;
  const decimals = CENT_DIGITS - 1 - Math.floor(Math.log10(value));
  return `$${value.toFixed(Math.min(decimals, 100)).replace(/\.?0+$/, "")}`;
};

/** A count in k, M and B: a tenant's tokens run to billions. */
export const count = (value: number) =>
  value >= 999_950_000
    ? `${(value / 1e9).toFixed(1)}B`
    : value >= 999_950
      ? `${(value / 1e6).toFixed(1)}M`
      : value >= 1e4
        ? `${(value / 1e3).toFixed(1)}k`
        : String(value);

/** A key's or tenant's rate limits, `60 rpm · – tpm` (a dash where there is none). */
export const rateLimits = (rpm: number | null | undefined, tpm: number | null | undefined) =>
  `${rpm ? `${rpm} rpm` : "– rpm"} · ${tpm ? `${tpm} tpm` : "– tpm"}`;

export const percent = (share: number | null) => (share === null ? "–" : `${(share * 100).toFixed(1)}%`);

/** Significant digits a sample rate is shown to: as it is configured, without a float's noise (`0.07 * 100`). */
const RATE_DIGITS = 6;

/**
 * A shadow's sample rate (0–1) as a percentage to the precision it needs (`0.1%`, `1.25%`, `50%`),
 * where a whole percent showed `sample: 0.001` as `0%`. Never in exponent notation.
 */
export const sampleRate = (share: number) => {
  const pct = share * 100;
  if (!(pct > 0)) return "0%";
  const decimals = Math.max(0, RATE_DIGITS - 1 - Math.floor(Math.log10(pct)));
  const text = pct.toFixed(Math.min(decimals, 100));
  return `${text.includes(".") ? text.replace(/\.?0+$/, "") : text}%`;
};

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Local wall-clock time of day, `HH:MM:SS`. */
export const clock = (epochMs: number) => {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

export const time = (epochMs: number) => {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(epochMs)}.${pad(d.getMilliseconds(), 3)}`;
};

export const ago = (epochMs: number, now = Date.now()) => {
  const s = Math.max(0, Math.round((now - epochMs) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
};

/** The CSS class of a status's colour (`s1` … `s5`), by the class the audit filters use. */
export const statusClass = (status: number) => `s${statusClassOf(status).charAt(0)}`;
