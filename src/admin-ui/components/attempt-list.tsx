/** @jsxImportSource preact */
import type { AuditAttempt } from "../../audit/audit-attempt.ts";
import { ms } from "../format.ts";
import { scrollRegion } from "../scroll-region.ts";

const OUTCOME: Record<AuditAttempt["outcome"], string> = {
  ok: "answered",
  failed: "failed",
  cut: "cut short",
};

/** A request's upstream attempts in order: retries on a route, then failover to the next. */
export function AttemptList({ attempts }: { attempts: readonly AuditAttempt[] | null | undefined }) {
  if (!attempts || attempts.length === 0)
    return <p class="muted">No upstream attempt (the gateway answered or refused by itself).</p>;
  return (
    <div {...scrollRegion("Upstream attempts")} class="scroll">
      <table class="attempts" aria-label="Route and failover attempts">
        <thead>
          <tr>
            <th>#</th>
            <th>Route</th>
            <th>Upstream model</th>
            <th>Outcome</th>
            <th>Status</th>
            <th>Error</th>
            <th class="num">Duration</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((attempt, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: attempts are a fixed list in try order
            <tr key={index}>
              <td>{index + 1}</td>
              <td>{attempt.route}</td>
              <td>{attempt.upstreamModel}</td>
              <td>{OUTCOME[attempt.outcome]}</td>
              <td>{attempt.status ?? "–"}</td>
              <td>{attempt.errorClass ?? "–"}</td>
              <td class="num">{ms(attempt.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
