import { Text } from "ink";
import { cellWidth } from "../../core/cell-width.ts";
import type { ConnectionStatus } from "../event-client.ts";
import { truncate } from "../format.ts";
import { ColourText } from "./colour-text.tsx";

const TITLE = "mindgw tail";
/** Fewer cells than this of the gateway's address tell nothing: left out instead. */
const MIN_LABEL = 8;

/**
 * The gateway and the state of the event stream, e.g. `● live` or `reconnecting in 3s (…)`.
 * The state is what the line is for: on a narrow pane the title goes first, then the address
 * is cut, so that `reconnecting` and why stay in sight.
 */
export function ConnectionLine({
  label,
  status,
  now,
  width,
}: {
  label: string;
  status: ConnectionStatus;
  now: number;
  /** The terminal's columns; unset, the line is left whole (cut at its end by the terminal). */
  width?: number;
}) {
  const state = describe(status, now);
  const room = width === undefined ? Number.POSITIVE_INFINITY : width - cellWidth(state.text) - 1;
  const titled = cellWidth(`${TITLE} ${label}`) <= room;
  const address = titled ? label : room >= MIN_LABEL ? truncate(label, room) : "";
  return (
    <Text wrap="truncate">
      {titled ? <Text bold>{TITLE} </Text> : null}
      {address === "" ? "" : `${address} `}
      <ColourText color={state.color}>{state.text}</ColourText>
    </Text>
  );
}

function describe(status: ConnectionStatus, now: number): { text: string; color: string } {
  switch (status.state) {
    case "connecting":
      return { text: "connecting…", color: "yellow" };
    case "live":
      return { text: "● live", color: "green" };
    case "reconnecting": {
      const seconds = Math.max(0, Math.ceil((status.retryAt - now) / 1000));
      return { text: `reconnecting in ${seconds}s (${status.reason})`, color: "yellow" };
    }
    case "error":
      return { text: `error: ${status.message}`, color: "red" };
  }
}
