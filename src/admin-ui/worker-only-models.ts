import { compileGlob } from "../auth/model-glob.ts";
import type { RoutingView } from "./views.ts";

/**
 * The models connected workers serve that no entry of the routing table answers to. One an entry
 * answers to by its name, an alias or a glob (`*` any run of characters) is routed by that entry
 * (the config wins, as routing/route-table.ts resolves it): listed under it, not as the workers' own.
 */
export function workerOnlyModels(routing: Pick<RoutingView, "models" | "workerModels">): string[] {
  const patterns = routing.models.flatMap((model) => [model.name, ...(model.aliases ?? [])]);
  const answered = (name: string) =>
    patterns.some((pattern) => (pattern.includes("*") ? compileGlob(pattern).test(name) : pattern === name));
  return routing.workerModels.filter((name) => !answered(name));
}
