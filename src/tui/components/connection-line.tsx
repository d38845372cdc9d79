import { Text } from "ink";
import type { ConnectionStatus } from "../event-client.ts";

/** The gateway and the state of the event stream, e.g. `● live` or `reconnecting in 3s`. */
export function ConnectionLine({
  label,
  status,
  now,
}: {
  label: string;
  status: ConnectionStatus;
  now: number;
}) {
  return (
    <Text wrap="truncate">
      <Text bold>mindgw tail</Text> {label} <StatusText status={status} now={now} />
    </Text>
  );
}

function StatusText({ status, now }: { status: ConnectionStatus; now: number }) {
  switch (status.state) {
    case "connecting":
      return <Text color="yellow">connecting…</Text>;
    case "live":
      return <Text color="green">● live</Text>;
    case "reconnecting": {
      const seconds = Math.max(0, Math.ceil((status.retryAt - now) / 1000));
      return (
        <Text color="yellow">
          reconnecting in {seconds}s ({status.reason})
        </Text>
      );
    }
    case "error":
      return <Text color="red">error: {status.message}</Text>;
  }
}
