import { userInfo } from "node:os";
import {
  defaultResource,
  envDetector,
  hostDetector,
  osDetector,
  type Resource,
  type ResourceDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from "@opentelemetry/resources";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * sdk-node's process detector without the command line. Its `process.command_args` (opt-in in
 * the semantic conventions) is the whole argv, and a worker's argv holds its `--token` and, in an
 * `--upstream` URL, perhaps a password: every span batch would carry them to the collector. So
 * the process is described by what names it, never by what it was given: its pid, executable,
 * script and owner, and the runtime it really runs on (Bun, which sdk-node calls `nodejs`).
 */
export const processWithoutArgs: ResourceDetector = {
  detect() {
    const bun = process.versions.bun;
    const attributes: Record<string, string | number> = {
      "process.pid": process.pid,
      "process.executable.name": process.title,
      "process.executable.path": process.execPath,
      "process.runtime.name": bun ? "bun" : "nodejs",
      "process.runtime.version": bun ?? process.versions.node,
      "process.runtime.description": bun ? "Bun" : "Node.js",
    };
    // The script (a compiled binary's own path inside its bundle); never an argument after it.
    if (process.argv[1] !== undefined) attributes["process.command"] = process.argv[1];
    try {
      attributes["process.owner"] = userInfo().username;
    } catch {
      // No user entry for this uid (a container's): the attribute is left out, as sdk-node does.
    }
    return { attributes };
  },
};

/**
 * sdk-node's detectors by the names `OTEL_NODE_RESOURCE_DETECTORS` lists them, the process one
 * ours, in sdk-node's default order: `env` (`OTEL_RESOURCE_ATTRIBUTES`) last, so what an operator
 * sets there wins over what a detector found.
 */
const BY_NAME: ReadonlyMap<string, ResourceDetector> = new Map([
  ["serviceinstance", serviceInstanceIdDetector],
  ["process", processWithoutArgs],
  ["host", hostDetector],
  ["os", osDetector],
  ["env", envDetector],
]);

/**
 * The resource detectors for sdk-node: its own list (every one of them, by default or with `all`;
 * none with `none`; else those `OTEL_NODE_RESOURCE_DETECTORS` names, unknown names ignored), with
 * its process detector replaced by `processWithoutArgs` whatever the setting, so no choice of an
 * operator's exports the command line.
 */
export function resourceDetectors(env: Env): ResourceDetector[] {
  const names = (env.OTEL_NODE_RESOURCE_DETECTORS ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  if (names.length === 0 || names.includes("all")) return [...BY_NAME.values()];
  if (names.includes("none")) return [];
  return names.flatMap((name) => {
    const detector = BY_NAME.get(name);
    return detector ? [detector] : [];
  });
}

/**
 * The resource the detectors' attributes are laid over: the SDK's default with the process's own
 * service name (`mindgw`, `mindgw-worker`) in place of `unknown_service`. So a `service.name` in
 * OTEL_RESOURCE_ATTRIBUTES names the service, and OTEL_SERVICE_NAME before it (the env detector
 * reads both), as the spec has it; sdk-node's `serviceName` option is laid over what the detectors
 * found, and named every service `mindgw` whatever OTEL_RESOURCE_ATTRIBUTES said.
 */
export const namedResource = (serviceName: string): Resource =>
  defaultResource().merge(resourceFromAttributes({ "service.name": serviceName }));
