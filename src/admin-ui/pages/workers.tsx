/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ShownWorker } from "../../workers/gateway/list-workers.ts";
import { followEvents, getJson } from "../api.ts";
import { BdiList } from "../components/bdi-list.tsx";
import { Failure } from "../components/failure.tsx";
import { ago, clock } from "../format.ts";
import { gatewayNow } from "../gateway-clock.ts";
import { type GoneWorker, StreamGap, withSeen, withUnseen } from "../gone-workers.ts";
import { useLoad } from "../hooks.ts";
import { scrollRegion } from "../scroll-region.ts";
import { staleNote } from "../stale-note.ts";

/** Connected workers with their models, labels and load; kept current by the event stream. */
export function WorkersPage() {
  const [gone, setGone] = useState<readonly GoneWorker[]>([]);
  const [gap] = useState(() => new StreamGap());
  const workers = useLoad(
    async () => {
      // On the gateway's clock, as the "left at" its events stamp beside them (gateway-clock.ts).
      const read = gap.reading(gatewayNow());
      const answer = await getJson<{ workers: ShownWorker[] }>("/admin/api/workers");
      const unseen = read(answer.workers, gatewayNow());
      if (unseen.length > 0) setGone((current) => withUnseen(current, unseen));
      return answer;
    },
    [],
    10_000,
  );
  /** What the page lists now, for the event stream's callbacks (set up once). */
  const shown = useRef<readonly ShownWorker[]>([]);
  shown.current = workers.data?.workers ?? shown.current;
  const [, setNow] = useState(Date.now());

  // biome-ignore lint/correctness/useExhaustiveDependencies: one event stream for the page's life
  useEffect(() => {
    const stop = new AbortController();
    void followEvents(
      (event) => {
        if (
          event.type === "worker.connected" ||
          event.type === "worker.changed" ||
          event.type === "worker.draining"
        )
          workers.reload();
        if (event.type === "worker.lost") {
          const { at, worker, reason, drained } = event;
          setGone((current) => withSeen(current, { seen: true, at, worker, reason, drained }));
          workers.reload();
        }
      },
      stop.signal,
      (up) => {
        // The stream has no replay: a worker that connected or left while it was down is told by
        // no event. The list is read again at each connect; one the page listed when it dropped, or
        // while it was down, that the list no longer has is gone, unseen (gone-workers.ts).
        if (!up) return gap.down(shown.current, gatewayNow());
        gap.up();
        workers.reload();
      },
    );
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop.abort();
      clearInterval(tick);
    };
  }, []);

  const list = workers.data?.workers ?? [];
  const stale = staleNote(workers);
  return (
    <section aria-labelledby="workers-title">
      <div class="page-head">
        <h1 id="workers-title">Workers</h1>
        {workers.data && (
          <span class="muted" data-stale={stale ?? undefined}>
            {list.length} connected{stale && `, ${stale}`}
          </span>
        )}
      </div>
      <Failure error={workers.error} />
      <div {...scrollRegion("Workers table")} class="scroll card flush">
        <table class="workers">
          <thead>
            <tr>
              <th>Name</th>
              <th>Models</th>
              <th class="wide">Labels</th>
              <th class="num">Load</th>
              <th class="wide">Version</th>
              <th class="wide">Up</th>
              <th>Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <tr key={w.id} data-worker={w.name}>
                <td>
                  {w.name}
                  {w.draining && <span class="badge bad">draining</span>}
                  {w.ejectedUntil !== undefined && (
                    <span class="badge bad" data-ejected-until={w.ejectedUntil}>
                      out of rotation until {clock(w.ejectedUntil)}
                    </span>
                  )}
                  <div class="muted small">{w.id}</div>
                </td>
                <td>
                  <WorkerModels worker={w} />
                </td>
                <td class="wide">
                  {Object.entries(w.labels).map(([k, v]) => (
                    <span key={k} class="badge">
                      <bdi>{k}</bdi>=<bdi>{v}</bdi>
                    </span>
                  ))}
                </td>
                <td class="num">
                  <WorkerLoad worker={w} />
                </td>
                <td class="wide">{w.version ?? "–"}</td>
                <td class="wide" data-uptime>
                  {w.connectedAt ? ago(w.connectedAt, gatewayNow()).replace(" ago", "") : "–"}
                </td>
                <td data-last-heartbeat>{ago(w.lastHeartbeatAt, gatewayNow())}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {workers.data && list.length === 0 && <p class="muted pad">No worker is connected.</p>}
      </div>
      <h2>Recently gone</h2>
      {gone.length === 0 ? (
        <p class="muted">No worker has left since this page opened.</p>
      ) : (
        <ul class="gone">
          {gone.map((g) => (
            <GoneEntry key={g.worker.id} gone={g} />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * A worker that left: one that finished a drain with nothing cut left, no failure, with the reason
 * (its own close, or its key narrowed to none of its models: the gateway drained and refused it);
 * any other (its connection cut, its heartbeats stopped, a drain cut short) was lost, with the
 * reason and the calls it still held. One that left while the event stream was down, with when
 * as far as the page knows and no reason: its event never came.
 */
function GoneEntry({ gone }: { gone: GoneWorker }) {
  const name = (
    <strong>
      <bdi>{gone.worker.name}</bdi>
    </strong>
  );
  if (!gone.seen) {
    return (
      <li data-gone-worker={gone.worker.name} data-gone="unseen" class="muted">
        {name} left while this page's event stream was down, between {clock(gone.from)} and {clock(gone.to)}:
        why is not known
      </li>
    );
  }
  if (gone.drained) {
    return (
      <li data-gone-worker={gone.worker.name} data-gone="left" class="muted">
        {name} left at {clock(gone.at)}, its drain over — <bdi>{gone.reason}</bdi>
      </li>
    );
  }
  return (
    <li data-gone-worker={gone.worker.name} data-gone="lost">
      {name} <span class="badge bad">lost</span> at {clock(gone.at)} — <bdi>{gone.reason}</bdi>
      {gone.worker.inFlight !== undefined && ` (${gone.worker.inFlight} in flight)`}
    </li>
  );
}

/** Why a tenant's admin is not shown a platform worker's load (tenants/worker-seen.ts). */
const SHARED_LOAD =
  "This worker serves every tenant: its requests in flight are every tenant's, shown only to admins outside every tenant";

/** A worker's requests in flight of its capacity; its capacity alone ("–/8") when its load is not the reader's to see. */
function WorkerLoad({ worker }: { worker: ShownWorker }) {
  const { inFlight, capacity } = worker;
  if (inFlight === undefined)
    return (
      <span title={SHARED_LOAD} data-load="hidden">
        –/{capacity}
      </span>
    );
  return (
    <>
      <meter min={0} max={capacity} value={inFlight} aria-label={`${inFlight} of ${capacity}`} /> {inFlight}/
      {capacity}
    </>
  );
}

/**
 * A worker's models; those the config routes elsewhere (so none of their requests reach it) are
 * set apart, struck through, with why.
 */
function WorkerModels({ worker }: { worker: ShownWorker }) {
  const shadowed = worker.shadowedByConfig ?? [];
  const served = worker.models.filter((model) => !shadowed.includes(model));
  return (
    <>
      <BdiList items={served} />
      {shadowed.length > 0 && (
        <div class="muted small" data-shadowed-models={shadowed.join(",")}>
          <s>
            <BdiList items={shadowed} />
          </s>{" "}
          — routed elsewhere by the config
        </div>
      )}
    </>
  );
}
