/** @jsxImportSource preact */
import { useEffect, useRef } from "preact/hooks";
import type { AuditPage } from "../../audit/audit-query.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { getJson } from "../api.ts";
import { ms, time, usd } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { AttemptList } from "./attempt-list.tsx";

/** One request in full: who, what, timings, route and attempts, tokens, cost, error, and bodies when stored. */
export function RequestDetail({ record, onClose }: { record: AuditRecord; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: focus moves to each newly opened request
  useEffect(() => heading.current?.focus(), [record.requestId]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  // Bodies live beside the row; the row's own millisecond bounds the lookup to a few rows.
  const bodies = useLoad(
    () =>
      getJson<AuditPage>(
        `/admin/api/audit?bodies=true&from=${record.startedAt}&to=${record.startedAt + 1}&limit=1000`,
      ).then((page) => page.records.find((r) => r.requestId === record.requestId)),
    [record.requestId],
  );
  const full = bodies.data;
  const rows: [string, string][] = [
    ["Request id", record.requestId],
    ["Arrived", time(record.startedAt)],
    ["Status", String(record.status)],
    [
      "Error",
      record.errorClass
        ? `${record.errorClass}${record.errorMessage ? `: ${record.errorMessage}` : ""}`
        : "none",
    ],
    ["Key", record.keyName ? `${record.keyName} (${record.keyId ?? "no id"})` : "unauthenticated"],
    ["Tenant / role", `${record.tenant ?? "–"} / ${record.role ?? "–"}`],
    ["Front door", record.frontDoor],
    ["Model", record.model ?? "–"],
    ["Route", record.route ?? "none tried"],
    // Cluster nodes only: the node that took the request, and the one that answered (forwarding).
    ...(record.node
      ? ([["Nodes", `taken by ${record.node} · served by ${record.servedNode ?? "–"}`]] as [string, string][])
      : []),
    ["Upstream model", record.upstreamModel ?? "–"],
    ["Dropped in translation", record.dropped || "nothing"],
    ["Streamed", record.stream ? "yes" : "no"],
    ["Latency", ms(record.latencyMs)],
    ["Time to first token", ms(record.ttfbMs)],
    ["Tokens in / out", `${record.inputTokens} / ${record.outputTokens}`],
    ["Cost", usd(record.costUsd)],
    ["Client", `${record.clientIp ?? "–"} · ${record.userAgent ?? "–"}`],
  ];
  return (
    <section class="card detail" aria-labelledby="detail-title">
      <div class="page-head">
        <h2 id="detail-title" tabIndex={-1} ref={heading}>
          Request {record.requestId}
        </h2>
        <button type="button" class="ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <dl class="facts">
        {rows.map(([label, value]) => (
          <>
            <dt key={`${label}-t`}>{label}</dt>
            <dd key={`${label}-d`}>{value}</dd>
          </>
        ))}
      </dl>
      <h3>Route and failover attempts</h3>
      <AttemptList attempts={record.attempts} />
      {full?.requestBody || full?.responseBody ? (
        <div class="bodies">
          <div>
            <h3>Request body</h3>
            <pre>{full.requestBody ?? "–"}</pre>
          </div>
          <div>
            <h3>Response body</h3>
            <pre>{full.responseBody ?? "–"}</pre>
          </div>
        </div>
      ) : (
        <p class="muted">Bodies are not stored (audit.bodies is off, or this request had none).</p>
      )}
    </section>
  );
}
