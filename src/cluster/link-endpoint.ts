import { Elysia } from "elysia";
import { unavailable } from "../core/gateway-error.ts";
import { FrameWriter } from "../workers/frame-writer.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { CloseCode } from "../workers/protocol.ts";
import { receiveDirectly } from "../workers/receive-directly.ts";
import type { WorkerLog } from "../workers/worker-log.ts";
import { CLUSTER_HEADER, secretCheck } from "./cluster-secret.ts";
import type { DrainCount } from "./drain-hold.ts";
import { clusterSecretRequired } from "./forward-endpoint.ts";
import { FrameSwitch, type FrameSwitchDeps } from "./frame-switch.ts";
import { type IncomingLink, IncomingLinks } from "./incoming-links.ts";

/** The WebSocket another node opens once and sends its forwarded calls over (peer-link.ts). */
export const LINK_PATH = "/cluster/v1/link";

export interface LinkEndpointDeps {
  secret: string;
  nodeId: string;
  registry: WorkerRegistry;
  log: WorkerLog;
  /** The server's `maxPayloadLength`: a batch to the other node stays within it. */
  maxMessageBytes: number;
  /** This node's requests in flight: relayed streams count, so a drain waits for them. */
  lifecycle?: DrainCount;
  /** The links open here, closed cleanly on a drain (start-cluster.ts `leave`). */
  incoming?: IncomingLinks;
  /** This node's open requests: relayed streams are ended with them at the drain deadline. */
  shutdown?: FrameSwitchDeps["shutdown"];
}

/**
 * `GET /cluster/v1/link`: a cluster peer link. Only `cluster.secret` opens it, checked once at
 * the upgrade (constant-time; a client key is refused like no credential, before any socket
 * exists, and the refusal audited); then every message is frames for this node's frame switch
 * (frame-switch.ts).
 */
export function linkEndpoint(deps: LinkEndpointDeps) {
  const secretMatches = secretCheck(deps.secret);
  const incoming = deps.incoming ?? new IncomingLinks();
  const switches = new WeakMap<object, { frames: FrameSwitch; link: IncomingLink }>();
  return new Elysia().ws(LINK_PATH, {
    // Refusals are thrown: the app answers and audits them as it does any request no route takes.
    beforeHandle({ request }) {
      if (!secretMatches(request.headers.get(CLUSTER_HEADER))) {
        deps.log("warn", "cluster peer link refused: wrong or missing cluster secret", {});
        throw clusterSecretRequired(deps.nodeId);
      }
      // Draining: the calling node forwards over HTTP (refused too) and on to another node.
      if (incoming.draining) throw unavailable(`node ${deps.nodeId} is draining`);
    },
    open(ws) {
      const raw = ws.raw;
      const writer = new FrameWriter(
        {
          text: (text) => void (raw.readyState === 1 && raw.sendText(text)),
          binary: (bytes) => void (raw.readyState === 1 && raw.sendBinary(bytes)),
          cork: (write) => void raw.cork(write),
        },
        deps.maxMessageBytes,
      );
      // Both ends of a link are this build: batches from the first frame.
      writer.peerReadsBatches();
      const frames = new FrameSwitch({
        registry: deps.registry,
        nodeId: deps.nodeId,
        writer,
        ...(deps.lifecycle ? { lifecycle: deps.lifecycle } : {}),
        ...(deps.shutdown ? { shutdown: deps.shutdown } : {}),
        fail(problem) {
          deps.log("warn", "cluster peer link closed: protocol error", { problem });
          writer.flush();
          raw.close(CloseCode.protocolError, problem.slice(0, 120));
        },
      });
      const link: IncomingLink = {
        frames,
        flush: writer.flush,
        close: (code, reason) => raw.close(code, reason),
        terminate: () => raw.terminate(),
      };
      switches.set(raw, { frames, link });
      incoming.add(link);
      receiveDirectly(raw, frames, deps.log, "cluster link");
    },
    // Only where receiveDirectly could not take the link's messages (see there).
    message(ws, message) {
      switches.get(ws.raw)?.frames.message(message);
    },
    close(ws) {
      const open = switches.get(ws.raw);
      switches.delete(ws.raw);
      if (!open) return;
      open.frames.closed();
      incoming.closed(open.link);
    },
  });
}
