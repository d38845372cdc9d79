import { Box, Text } from "ink";
import { fit } from "../format.ts";
import type { HeartbeatBounds } from "../heartbeat-bounds.ts";
import { workerHealth } from "../status-style.ts";
import type { WorkerRow } from "../tail-store.ts";
import { ColourText } from "./colour-text.tsx";

export interface WorkersPaneProps {
  workers: WorkerRow[];
  now: number;
  width: number;
  /** Lines available for workers; the rest are summarised as "+N more". */
  maxRows: number;
  /** False when the gateway refuses this credential the workers list (a tenant member's key). */
  visible?: boolean;
  /** False until the workers list has been read: none listed then is not "none connected". */
  read?: boolean;
  /** True when reads failed before any answered: the pane says the list could not be read. */
  unread?: boolean;
  /** When a heartbeat reads as late or stale (the gateway's timing: heartbeat-bounds.ts). */
  heartbeats: HeartbeatBounds;
}

/**
 * Connected workers: name, models, in-flight / capacity, and health (out of rotation, draining,
 * heartbeat: status-style.ts). A worker gone (lost, or left) shows why in place of its models, which it no
 * longer serves.
 */
export function WorkersPane({
  workers,
  now,
  width,
  maxRows,
  visible = true,
  read = true,
  unread = false,
  heartbeats,
}: WorkersPaneProps) {
  if (!visible)
    return (
      <Box flexDirection="column">
        <Text bold>WORKERS</Text>
        <Text dimColor>workers: not visible to this credential</Text>
      </Box>
    );
  const nameWidth = 16;
  const loadWidth = 9;
  const healthWidth = 10;
  const modelsWidth = Math.max(8, width - nameWidth - loadWidth - healthWidth - 3);
  const shown = workers.slice(0, Math.max(0, maxRows));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {`WORKERS (${workers.length})`}
      </Text>
      {workers.length === 0 ? (
        <Text dimColor>
          {read
            ? "no workers connected"
            : unread
              ? "workers list not read: asking again"
              : "reading the workers list…"}
        </Text>
      ) : null}
      {shown.map((worker) => {
        const health = workerHealth(worker, now, heartbeats);
        return (
          <Text key={worker.id} wrap="truncate">
            {fit(worker.name, nameWidth)}{" "}
            {worker.gone ? (
              <Text dimColor>{fit(worker.gone.reason, modelsWidth)}</Text>
            ) : (
              fit(worker.models.join(","), modelsWidth)
            )}{" "}
            {fit(`${worker.inFlight ?? "–"}/${worker.capacity}`, loadWidth, "right")}{" "}
            <ColourText color={health.colour}>{health.label}</ColourText>
          </Text>
        );
      })}
      {workers.length > shown.length ? <Text dimColor>+{workers.length - shown.length} more</Text> : null}
    </Box>
  );
}
