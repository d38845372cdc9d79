import { abortable } from "./abortable.ts";
import { adaptDialect } from "./adapt-dialect.ts";
import type { Route } from "./route.ts";
import type { DispatchRequest } from "./router.ts";
import { stripClientRouting } from "./strip-client-routing.ts";

/**
 * Mirrors a request to a shadow route for comparison, off the client's path: non-stream,
 * its own timeout, its result only logged. A shadow never affects the client's answer.
 */
export function sendShadow(route: Route, request: DispatchRequest, log: (line: string) => void): void {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("shadow timed out")), route.timeouts.firstByteMs);
  const started = performance.now();
  Promise.resolve()
    .then(() => {
      const adapted = adaptDialect(
        request.operation,
        request.body,
        route.provider,
        request.model,
        request.responses,
      );
      const body = stripClientRouting({ ...adapted.body, model: route.upstreamModel, stream: false });
      delete body.stream_options;
      return abortable(
        route.provider.call({
          operation: adapted.operation,
          body,
          stream: false,
          requestId: `${request.requestId}-shadow`,
          signal: controller.signal,
          timeouts: route.timeouts,
        }),
        controller.signal,
      );
    })
    .then(
      () =>
        log(
          `shadow ${route.label} (${route.upstreamModel}) answered in ${Math.round(performance.now() - started)} ms`,
        ),
      (error: unknown) =>
        log(
          `shadow ${route.label} (${route.upstreamModel}) failed: ${error instanceof Error ? error.message : "error"}`,
        ),
    )
    .finally(() => clearTimeout(timer));
}
