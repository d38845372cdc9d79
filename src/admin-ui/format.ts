import { statusClassOf } from "../audit/audit-record.ts";

/** Display helpers shared by the pages. */
export const ms = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "–"
    : value < 1000
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

export const count = (value: number) =>
  value >= 1e6
    ? `${(value / 1e6).toFixed(1)}M`
    : value >= 1e4
      ? `${(value / 1e3).toFixed(1)}k`
      : String(value);

export const percent = (share: number | null) => (share === null ? "–" : `${(share * 100).toFixed(1)}%`);

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
