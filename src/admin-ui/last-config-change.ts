import type { StatusView } from "./views.ts";

type ConfigEvent = NonNullable<StatusView["config"]["lastEvent"]>;

/**
 * The last config change since start, as the Overview's Configuration card says it ("Last
 * change"). What still waits for a restart is the card's "Not applied" line alone: not said twice.
 */
export function lastConfigChange(event: ConfigEvent, at: string): string {
  if (event.type === "config.reloaded") return `reloaded to v${event.version} at ${at}`;
  // Restart-only settings alone: nothing was applied, the version serves on.
  if (event.type === "config.restart_required") return `not applied at ${at}: restart required`;
  // A rejected or restart-only edit undone: the version serves on. A rejected edit undone while
  // restart-only edits wait leaves them pending ("Not applied").
  if (event.type === "config.restored")
    return event.restartRequired.length > 0
      ? `restored at ${at}: rejected edit undone, v${event.version} serves on`
      : `restored at ${at}: v${event.version} serves on, nothing pending`;
  return `rejected at ${at}`;
}
