import { Box, Text } from "ink";
import { formatMs, truncate } from "../format.ts";
import type { RequestRow } from "../tail-store.ts";

/** Every field of one request's audit record (or what is known while it is in flight). */
export function DetailView({ row, width, height }: { row: RequestRow; width: number; height: number }) {
  const fields: [string, unknown][] = row.record === null ? inFlightFields(row) : Object.entries(row.record);
  const labelWidth = Math.max(...fields.map(([name]) => name.length));
  const lines = fields.slice(0, Math.max(1, height - 2));
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
      <Text dimColor>Esc or Enter closes</Text>
    </Box>
  );
}

function inFlightFields(row: RequestRow): [string, unknown][] {
  return [
    ["requestId", row.requestId],
    ["startedAt", row.startedAt],
    ["keyName", row.keyName],
    ["model", row.model],
  ];
}

function show(name: string, value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (name === "startedAt" && typeof value === "number") return `${new Date(value).toISOString()} (${value})`;
  if ((name === "latencyMs" || name === "ttfbMs") && typeof value === "number") return formatMs(value);
  if (typeof value === "string") return value.replaceAll(/\s+/g, " ");
  return JSON.stringify(value);
}
