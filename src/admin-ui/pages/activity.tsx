/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import type { StoredAdminAction } from "../../storage/storage.ts";
import { getJson } from "../api.ts";
import { Failure } from "../components/failure.tsx";
import { time } from "../format.ts";

interface ActionsPage {
  actions: StoredAdminAction[];
  nextBefore: number | null;
}

/** The admin-action audit: every change made through /admin or the admin API, newest first. */
export function ActivityPage() {
  const [actions, setActions] = useState<StoredAdminAction[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string>();
  const load = async (before: number | null) => {
    try {
      const page = await getJson<ActionsPage>(
        `/admin/api/actions?limit=50${before ? `&before=${before}` : ""}`,
      );
      setActions((current) => (before ? [...current, ...page.actions] : page.actions));
      setNext(page.nextBefore);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page loads once
  useEffect(() => {
    void load(null);
  }, []);
  return (
    <section aria-labelledby="activity-title">
      <div class="page-head">
        <h1 id="activity-title">Admin activity</h1>
      </div>
      <Failure error={error} />
      <div class="scroll card flush">
        <table class="actions-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Who</th>
              <th class="wide">Client</th>
              <th>Action</th>
              <th>Target</th>
              <th class="wide">Detail</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.id} data-action={a.action}>
                <td>{time(a.at)}</td>
                <td>
                  <bdi>{a.actor}</bdi> <span class="muted small">via {a.via}</span>
                </td>
                <td class="wide" data-client={a.clientIp ?? ""}>
                  {a.clientIp ?? "–"}
                </td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td class="break">
                  <bdi>{a.target ?? "–"}</bdi>
                </td>
                <td class="wide">
                  <bdi>{a.detail ?? ""}</bdi>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {actions.length === 0 && <p class="muted pad">No admin changes yet.</p>}
      </div>
      {next && (
        <div class="pager">
          <button type="button" class="secondary" onClick={() => load(next)}>
            Load older
          </button>
        </div>
      )}
    </section>
  );
}
