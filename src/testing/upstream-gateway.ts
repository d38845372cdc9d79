import { type StartedGateway, startStoredGateway } from "./stored-gateway.ts";

/** A stored gateway on a loopback socket, in front of a fake upstream of the test's own. */
export interface UpstreamGateway extends StartedGateway {
  /** The gateway's origin: over a socket, what Bun puts on the wire is what a test reads. */
  readonly url: string;
  /** Stops the gateway, removes its temp dir and stops the upstream. */
  stop(): Promise<void>;
}

/**
 * A fake upstream on a loopback port that `fetch` answers, and a stored gateway listening on
 * another whose config `configure` writes given the upstream's origin (`http://127.0.0.1:port`).
 */
export async function startUpstreamGateway(
  fetch: (request: Request) => Response | Promise<Response>,
  configure: (upstream: string) => Record<string, unknown>,
): Promise<UpstreamGateway> {
  const upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  let started: StartedGateway;
  try {
    started = await startStoredGateway(configure(`http://127.0.0.1:${upstream.port}`));
  } catch (error) {
    upstream.stop(true);
    throw error;
  }
  return {
    ...started,
    url: `http://127.0.0.1:${started.gateway.listen("127.0.0.1", 0).port}`,
    stop: async () => {
      await started.stop();
      upstream.stop(true);
    },
  };
}
