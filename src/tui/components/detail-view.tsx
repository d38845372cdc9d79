import { Box, Text } from "ink";
import { formatMs, truncate } from "../format.ts";
import type { TailAttempt, TailRecord } from "../tail-event.ts";
import type { RequestRow } from "../tail-store.ts";

export interface DetailViewProps {
  row: RequestRow;
  width: number;
  /** Lines available, title and help included. */
  height: number;
  /** First field shown; clamped so the last page stays full. */
  offset: number;
}

/**
 * Every field of one request's audit record (or what is known while it is in flight); each
 * upstream attempt (retries, failover) on a line of its own.
 */
export function DetailView({ row, width, height, offset }: DetailViewProps) {
  const fields = detailFields(row);
  const labelWidth = Math.max(...fields.map(([name]) => name.length));
  const room = fieldRoom(height);
  const start = Math.min(offset, detailEnd(row, height));
  const lines = fields.slice(start, start + room);
  const more =
    fields.length > room ? ` · ↑↓ scroll (${start + 1}-${start + lines.length} of ${fields.length})` : "";
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        request {row.requestId} {row.record === null ? "(in flight)" : ""}
      </Text>
      {lines.map(([name, value]) => (
        <Text key={name} wrap="truncate">
          <Text color="cyan">{name.padEnd(labelWidth)}</Text>{" "}
          {truncate(show(name, value), width - labelWidth - 1)}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        Esc or Enter closes{more}
      </Text>
    </Box>
  );
}

/** The last first-field the view of `row` in `height` lines scrolls to: its last page full. */
export function detailEnd(row: RequestRow, height: number): number {
  return Math.max(0, detailFields(row).length - fieldRoom(height));
}

/** Lines left for fields, title and help taken. */
const fieldRoom = (height: number): number => Math.max(1, height - 2);

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

function inFlightFields(row: RequestRow): [string, unknown][] {
  return [
    ["requestId", row.requestId],
    ["startedAt", row.startedAt],
    ["keyId", row.keyId],
    ["keyName", row.keyName],
    ["model", row.model],
    ["app", row.app],
  ];
}

function show(name: string, value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (name === "startedAt" && typeof value === "number") return `${new Date(value).toISOString()} (${value})`;
  if ((name === "latencyMs" || name === "ttfbMs") && typeof value === "number") return formatMs(value);
  if (typeof value === "string") return value.replaceAll(/\s+/g, " ");
  return JSON.stringify(value);
}
