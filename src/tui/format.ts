import { cellWidth } from "../core/cell-width.ts";
import { printable } from "../core/printable.ts";

/** Milliseconds for a narrow column: `85ms`, `1.42s`, `2m05s`; `-` when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** Local wall-clock time `HH:MM:SS`. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** A rate with one decimal below 100 (`12.3`), whole above (`1234`). */
export function formatRate(perSec: number): string {
  return perSec < 100 ? perSec.toFixed(1) : String(Math.round(perSec));
}

export const formatPercent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** Compact counts: `950`, `12.3k`, `4.5M`. */
export function formatCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const graphemes = new Intl.Segmenter();

/** Fits text into `width` cells, marking a cut with `…`; control characters are shown escaped. */
export function truncate(raw: string, width: number): string {
  if (width <= 0) return "";
  const text = printable(raw);
  if (cellWidth(text) <= width) return text;
  // Whole characters (graphemes) up to width - 1 cells, then the ellipsis.
  let cut = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const cells = cellWidth(segment);
    if (used + cells > width - 1) break;
    cut += segment;
    used += cells;
  }
  return `${cut}…`;
}

/** As `truncate`, cutting the start instead: `…` and the last cells that fit (text being typed). */
export function truncateStart(raw: string, width: number): string {
  if (width <= 0) return "";
  const text = printable(raw);
  if (cellWidth(text) <= width) return text;
  const kept: string[] = [];
  let used = 0;
  for (const { segment } of [...graphemes.segment(text)].reverse()) {
    const cells = cellWidth(segment);
    if (used + cells > width - 1) break;
    kept.unshift(segment);
    used += cells;
  }
  return `…${kept.join("")}`;
}

/**
 * Cuts text into lines of at most `width` cells, whole characters each, at a space where there is
 * one in a line's last third (a message reads on); control characters are shown escaped.
 */
export function wrapCells(raw: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  let used = 0;
  for (const { segment } of graphemes.segment(printable(raw))) {
    const cells = cellWidth(segment);
    if (used + cells > Math.max(1, width) && line !== "") {
      const space = line.lastIndexOf(" ");
      const breakAt =
        space > 0 && cellWidth(line.slice(0, space)) >= (width * 2) / 3 ? space + 1 : line.length;
      lines.push(line.slice(0, breakAt).trimEnd());
      line = line.slice(breakAt);
      used = cellWidth(line);
    }
    line += segment;
    used += cells;
  }
  lines.push(line);
  return lines;
}

/** Truncates, then pads to exactly `width` cells. */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const cut = truncate(text, width);
  const pad = " ".repeat(Math.max(0, width - cellWidth(cut)));
  return align === "left" ? cut + pad : pad + cut;
}

/**
 * Several lines said in one (a config rejection lists every problem): the first, then how many
 * more there are, control characters shown escaped. A footer holds one line: more would push
 * the header and the connection line off the screen.
 */
export function oneLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const first = printable(lines[0]?.trim() ?? "");
  return lines.length > 1 ? `${first} (+${lines.length - 1} more)` : first;
}
