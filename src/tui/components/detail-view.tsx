import { Box, Text } from "ink";
import { formatMs, truncate, wrapCells } from "../format.ts";
import type { TailAttempt, TailRecord } from "../tail-event.ts";
import type { RequestRow } from "../tail-store.ts";
import { ColourText } from "./colour-text.tsx";

export interface DetailViewProps {
  row: RequestRow;
  width: number;
  /** Lines available, title and help included. */
  height: number;
  /** First line shown; clamped so the last page stays full. */
  offset: number;
}

/**
 * Every field of one request's audit record (or what is known while it is in flight); each
 * upstream attempt (retries, failover) on a line of its own. A value longer than its line goes
 * on under it, whole (the message the client was told may run to 500 characters).
 */
export function DetailView({ row, width, height, offset }: DetailViewProps) {
  const all = detailLines(row, width);
  const room = lineRoom(height);
  const start = Math.min(offset, Math.max(0, all.length - room));
  const lines = all.slice(start, start + room);
  const more =
    all.length > room ? ` · ↑↓ scroll (${start + 1}-${start + lines.length} of ${all.length})` : "";
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        request {row.requestId} {row.record === null ? inFlightNote(row) : ""}
      </Text>
      {lines.map(({ key, label, text }) => (
        <Text key={key} wrap="truncate">
          <ColourText color="cyan">{label}</ColourText> {text}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        Esc or Enter closes{more}
      </Text>
    </Box>
  );
}

/** The last first line the view of `row`, `width` by `height`, scrolls to: its last page full. */
export function detailEnd(row: RequestRow, width: number, height: number): number {
  return Math.max(0, detailLines(row, width).length - lineRoom(height));
}

const MIN_WRAP = 8;

/** Lines left for fields, title and help taken. */
const lineRoom = (height: number): number => Math.max(1, height - 2);

/** Each field's value in lines of the room beside the labels; a label on its first line alone. */
function detailLines(row: RequestRow, width: number): { key: string; label: string; text: string }[] {
  const fields = detailFields(row);
  const labelWidth = Math.max(...fields.map(([name]) => name.length));
  const room = width - labelWidth - 1;
  // Too narrow a column to read a value down it: one line each, cut.
  const cut = (text: string) => (room < MIN_WRAP ? [truncate(text, room)] : wrapCells(text, room));
  return fields.flatMap(([name, value]) =>
    cut(show(name, value)).map((text, i) => ({
      key: `${name}:${i}`,
      label: (i === 0 ? name : "").padEnd(labelWidth),
      text,
    })),
  );
}

const detailFields = (row: RequestRow): [string, unknown][] =>
  row.record === null ? inFlightFields(row) : recordFields(row.record);

function recordFields(record: TailRecord): [string, unknown][] {
  return Object.entries(record).flatMap(([name, value]): [string, unknown][] =>
    name === "attempts" && Array.isArray(record.attempts)
      ? record.attempts.map((attempt, i) => [`attempt ${i + 1}`, describeAttempt(attempt)])
      : [[name, value]],
  );
}

/** `provider:a m-a failed 500 upstream_error 12ms`; what it billed, when a failure was billed. */
function describeAttempt(attempt: TailAttempt): string {
  const { billed } = attempt;
  return [
    attempt.route,
    attempt.upstreamModel,
    attempt.outcome,
    attempt.status,
    attempt.errorClass,
    formatMs(attempt.durationMs),
    billed ? `billed ${billed.inputTokens}/${billed.outputTokens} tokens $${billed.costUsd}` : null,
  ]
    .filter((part) => part !== null && part !== undefined)
    .join(" ");
}

const IN_FLIGHT_NOTES: Record<NonNullable<RequestRow["gap"]>, string> = {
  dropped:
    "(in flight when the event stream dropped: its end may have come while it was down; the audit log has it)",
  missed:
    "(in flight when the gateway dropped events for this tail: its end may have been one of them; the audit log has it)",
  lost: "(in flight when its node left the cluster: killed, it answered no more, and wrote no audit row; had it served on, the audit log has it)",
};

const inFlightNote = (row: RequestRow): string => (row.gap ? IN_FLIGHT_NOTES[row.gap] : "(in flight)");

function inFlightFields(row: RequestRow): [string, unknown][] {
  return [
    ["requestId", row.requestId],
    ["startedAt", row.startedAt],
    ["keyId", row.keyId],
    ["keyName", row.keyName],
    ["model", row.model],
    ["app", row.app],
    ["node", row.node],
  ];
}

function show(name: string, value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (name === "startedAt" && typeof value === "number") return `${new Date(value).toISOString()} (${value})`;
  if ((name === "latencyMs" || name === "ttfbMs") && typeof value === "number") return formatMs(value);
  if (typeof value === "string") return value.replaceAll(/\s+/g, " ");
  return JSON.stringify(value);
}
