/** @jsxImportSource preact */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { AuditPage } from "../../audit/audit-query.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { rowKeyText } from "../../audit/audit-row-key.ts";
import { getJson } from "../api.ts";
import { bodiesView } from "../bodies-view.ts";
import { ms, time, usd } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { scrollRegion } from "../scroll-region.ts";
import { AttemptList } from "./attempt-list.tsx";
import { Caller } from "./caller.tsx";
import { Failure } from "./failure.tsx";

/**
 * One request in full: who, what, timings, route and attempts, tokens, cost, error, and bodies when
 * stored. `onChooseCaller` is the list's: the caller chosen here filters it by its id.
 */
export function RequestDetail({
  record,
  onClose,
  onChooseCaller,
}: {
  record: AuditRecord;
  onClose: () => void;
  onChooseCaller: (id: string) => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: focus moves to each newly opened request
  useEffect(() => heading.current?.focus(), [rowKeyText(record)]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <section class="card detail" aria-labelledby="detail-title">
      <div class="page-head">
        <h2 id="detail-title" tabIndex={-1} ref={heading}>
          Request <bdi>{record.requestId}</bdi>
        </h2>
        <button type="button" class="ghost" onClick={onClose}>
          Close
        </button>
      </div>
      {/* What a caller chose (key and tenant names, the model asked for, the user agent, an
          upstream's message) sits in <bdi>: a right-to-left override in it stays inside, never
          reversing our text around it. */}
      <dl class="facts">
        <Fact label="Request id">
          <bdi>{record.requestId}</bdi>
        </Fact>
        <Fact label="Arrived">{time(record.startedAt)}</Fact>
        <Fact label="Status">{record.status}</Fact>
        <Fact label="Error">
          {record.errorClass ?? "none"}
          {record.errorClass && record.errorMessage ? (
            <>
              : <bdi>{record.errorMessage}</bdi>
            </>
          ) : null}
        </Fact>
        <Fact label="Key">
          {/* As the list shows it (its id kept on narrow screens too: the detail has the room). */}
          {record.keyId === null && record.keyName === null ? (
            "unauthenticated"
          ) : (
            <Caller id={record.keyId} name={record.keyName} onChoose={onChooseCaller} />
          )}
        </Fact>
        <Fact label="Tenant / role">
          <bdi>{record.tenant ?? "–"}</bdi> / {record.role ?? "–"}
        </Fact>
        <Fact label="Front door">
          {record.frontDoor}
          {/* Through an app (`apps:`): its name beside the front door it mounts. */}
          {record.app ? (
            <>
              {" "}
              in app <bdi>{record.app}</bdi>
            </>
          ) : null}
        </Fact>
        <Fact label="Model">
          <bdi>{record.model ?? "–"}</bdi>
        </Fact>
        <Fact label="Route">
          <bdi>{record.route ?? "none tried"}</bdi>
        </Fact>
        {/* Cluster nodes only: the node that took the request, and the one that answered (forwarding). */}
        {record.node && (
          <Fact label="Nodes">
            taken by <bdi>{record.node}</bdi> · served by <bdi>{record.servedNode ?? "–"}</bdi>
          </Fact>
        )}
        <Fact label="Upstream model">
          <bdi>{record.upstreamModel ?? "–"}</bdi>
        </Fact>
        <Fact label="Dropped in translation">
          <bdi>{record.dropped || "nothing"}</bdi>
        </Fact>
        <Fact label="Streamed">{record.stream ? "yes" : "no"}</Fact>
        <Fact label="Latency">{ms(record.latencyMs)}</Fact>
        <Fact label="Time to first token">{ms(record.ttfbMs)}</Fact>
        <Fact label="Tokens in / out">
          {record.inputTokens} / {record.outputTokens}
        </Fact>
        <Fact label="Cost">{usd(record.costUsd)}</Fact>
        <Fact label="Client">
          <bdi>{record.clientIp ?? "–"}</bdi> · <bdi>{record.userAgent ?? "–"}</bdi>
        </Fact>
      </dl>
      <h3>Route and failover attempts</h3>
      <AttemptList attempts={record.attempts} />
      {/* Keyed by the row: another request's bodies, or its read's failure, are never shown as this one's. */}
      <Bodies key={rowKeyText(record)} record={record} />
    </section>
  );
}

/** The request's bodies, read beside its row; the row's own millisecond bounds the lookup to a few rows. */
function Bodies({ record }: { record: AuditRecord }) {
  const read = useLoad(
    () =>
      getJson<AuditPage>(
        `/admin/api/audit?bodies=true&from=${record.startedAt}&to=${record.startedAt + 1}&limit=1000`,
      ).then((page) => page.records.find((r) => rowKeyText(r) === rowKeyText(record)) ?? null),
    [],
  );
  const view = bodiesView(read);
  if (view.state === "reading") return <p class="muted">Reading the bodies…</p>;
  if (view.state === "failed") return <Failure error={view.error} />;
  if (view.state === "none")
    return <p class="muted">Bodies are not stored (audit.bodies is off, or this request had none).</p>;
  return (
    <div class="bodies">
      <div>
        <h3>Request body</h3>
        <pre {...scrollRegion("Request body")}>{view.request ?? "–"}</pre>
      </div>
      <div>
        <h3>Response body</h3>
        <pre {...scrollRegion("Response body")}>{view.response ?? "–"}</pre>
      </div>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}
