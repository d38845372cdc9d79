/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import type { WorkerSummary } from "../../audit/gateway-event.ts";
import type { ListedWorker } from "../../workers/gateway/list-workers.ts";
import { followEvents, getJson } from "../api.ts";
import { BdiList } from "../components/bdi-list.tsx";
import { Failure } from "../components/failure.tsx";
import { ago, clock, time } from "../format.ts";
import { useLoad } from "../hooks.ts";

/** A worker that left while the page watched: lost, or gone once its drain was over (`drained`). */
interface Gone {
  at: number;
  worker: WorkerSummary;
  reason: string;
  drained: boolean;
}

/** Connected workers with their models, labels and load; kept current by the event stream. */
export function WorkersPage() {
  const workers = useLoad(() => getJson<{ workers: ListedWorker[] }>("/admin/api/workers"), [], 10_000);
  const [gone, setGone] = useState<Gone[]>([]);
  const [, setNow] = useState(Date.now());

  // biome-ignore lint/correctness/useExhaustiveDependencies: one event stream for the page's life
  useEffect(() => {
    const stop = new AbortController();
    void followEvents((event) => {
      if (
        event.type === "worker.connected" ||
        event.type === "worker.changed" ||
        event.type === "worker.draining"
      )
        workers.reload();
      if (event.type === "worker.lost") {
        const { at, worker, reason, drained } = event;
        setGone((current) => [{ at, worker, reason, drained }, ...current].slice(0, 50));
        workers.reload();
      }
    }, stop.signal);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop.abort();
      clearInterval(tick);
    };
  }, []);

  const list = workers.data?.workers ?? [];
  return (
    <section aria-labelledby="workers-title">
      <div class="page-head">
        <h1 id="workers-title">Workers</h1>
        <span class="muted">{list.length} connected</span>
      </div>
      <Failure error={workers.error} />
      <div class="scroll card flush">
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
                  <meter
                    min={0}
                    max={w.capacity}
                    value={w.inFlight}
                    aria-label={`${w.inFlight} of ${w.capacity}`}
                  />{" "}
                  {w.inFlight}/{w.capacity}
                </td>
                <td class="wide">{w.version ?? "–"}</td>
                <td class="wide">{w.connectedAt ? ago(w.connectedAt).replace(" ago", "") : "–"}</td>
                <td>{ago(w.lastHeartbeatAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 && <p class="muted pad">No worker is connected.</p>}
      </div>
      <h2>Recently gone</h2>
      {gone.length === 0 ? (
        <p class="muted">No worker has left since this page opened.</p>
      ) : (
        <ul class="gone">
          {gone.map((g) => (
            <GoneWorker key={`${g.worker.id}-${g.at}`} gone={g} />
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
 * reason and the calls it still held.
 */
function GoneWorker({ gone }: { gone: Gone }) {
  const name = (
    <strong>
      <bdi>{gone.worker.name}</bdi>
    </strong>
  );
  if (gone.drained) {
    return (
      <li data-gone-worker={gone.worker.name} data-gone="left" class="muted">
        {name} left at {time(gone.at)}, its drain over — <bdi>{gone.reason}</bdi>
      </li>
    );
  }
  return (
    <li data-gone-worker={gone.worker.name} data-gone="lost">
      {name} <span class="badge bad">lost</span> at {time(gone.at)} — <bdi>{gone.reason}</bdi> (
      {gone.worker.inFlight} in flight)
    </li>
  );
}

/**
 * A worker's models; those the config routes elsewhere (so none of their requests reach it) are
 * set apart, struck through, with why.
 */
function WorkerModels({ worker }: { worker: ListedWorker }) {
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
