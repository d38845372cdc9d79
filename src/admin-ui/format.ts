import { statusClassOf } from "../audit/audit-record.ts";

/** Display helpers shared by the pages. */
export const ms = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "–"
    : value < 1000
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(2)} s`;

export const usd = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "–"
    : value < 0.01 && value > 0
      ? `$${value.toFixed(5)}`
      : `$${value.toFixed(2)}`;

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
