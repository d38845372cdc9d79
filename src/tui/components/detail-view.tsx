import { Box, Text } from "ink";
import { formatMs, truncate } from "../format.ts";
import type { RequestRow } from "../tail-store.ts";

export interface DetailViewProps {
  row: RequestRow;
  width: number;
  /** Lines available, title and help included. */
  height: number;
  /** First field shown; clamped so the last page stays full. */
  offset: number;
}

/** Every field of one request's audit record (or what is known while it is in flight). */
export function DetailView({ row, width, height, offset }: DetailViewProps) {
  const fields: [string, unknown][] = row.record === null ? inFlightFields(row) : Object.entries(row.record);
  const labelWidth = Math.max(...fields.map(([name]) => name.length));
  const room = Math.max(1, height - 2);
  const start = Math.min(offset, Math.max(0, fields.length - room));
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
