/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import type { KeyView } from "../../auth/key-view.ts";
import { messageOf } from "../../core/describe-error.ts";
import { postJson } from "../api.ts";
import { BdiList } from "../components/bdi-list.tsx";
import { Failure } from "../components/failure.tsx";
import { KeyForm } from "../components/key-form.tsx";
import { KeyLimitsForm } from "../components/key-limits-form.tsx";
import { NewKey } from "../components/new-key.tsx";
import { RevokeKey } from "../components/revoke-key.tsx";
import { RotateKeyForm } from "../components/rotate-key-form.tsx";
import { TenantsSection } from "../components/tenants-section.tsx";
import { rateLimits, usd } from "../format.ts";
import { activeNamesakes, revokeNamesakes } from "../key-namesakes.ts";
import { rotationNote } from "../rotation-note.ts";
import { scrollRegion } from "../scroll-region.ts";
import { useFocusFallback } from "../use-focus-fallback.ts";
import { useKeyList } from "../use-key-list.ts";

/** API keys and tenants: create (shown once), rotate with a grace period, change limits, revoke; spend against budget. */
export function KeysPage() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const keys = useKeyList(includeRevoked);
  // `from`: the key a rotation replaced (its row's Rotate takes focus on Done), null for a create (New key).
  const [issued, setIssued] = useState<{
    key: string;
    name: string;
    note: string;
    from: string | null;
  } | null>(null);
  const [error, setError] = useState<string>();
  // Changes made on the page: the tenants' report is read again after each.
  const [changes, setChanges] = useState(0);
  const [rotating, setRotating] = useState<string | null>(null);
  const [grace, setGrace] = useState("1h");
  // A rotation under way: pressed again meanwhile, it would rotate the key it just rotated out.
  const [rotatingNow, setRotatingNow] = useState(false);
  const [limiting, setLimiting] = useState<KeyView | null>(null);
  // The row's Limits button that opened the form: focus goes back to it when the form closes.
  const limitsOpener = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (limiting || !limitsOpener.current) return;
    if (limitsOpener.current.isConnected) limitsOpener.current.focus();
    limitsOpener.current = null;
  }, [limiting]);
  // Where focus goes when a shown key is dismissed, not the page body: what issued it.
  const newKeyButton = useRef<HTMLButtonElement>(null);
  const rotateButtons = useRef(new Map<string, HTMLButtonElement>());
  // A rotation cancelled: focus back on its row's Rotate once the row draws it again.
  const rotationCancelled = useRef<string | null>(null);
  useEffect(() => {
    if (rotating !== null || rotationCancelled.current === null) return;
    rotateButtons.current.get(rotationCancelled.current)?.focus();
    rotationCancelled.current = null;
  }, [rotating]);
  const cancelRotation = (id: string) => {
    rotationCancelled.current = id;
    setRotating(null);
  };
  const dismissIssued = () => {
    const from = issued?.from ? rotateButtons.current.get(issued.from) : undefined;
    (from ?? newKeyButton.current)?.focus();
    setIssued(null);
  };

  /**
   * Runs a change and shows the list again, as many keys as it listed and the `added` the change
   * minted; whether it worked is the answer (the form keeps its input on false).
   */
  const act = async (run: () => Promise<void>, added = 0): Promise<boolean> => {
    setError(undefined);
    try {
      await run();
      keys.reload(added);
      setChanges((n) => n + 1);
      return true;
    } catch (failure) {
      setError(messageOf(failure));
      return false;
    }
  };
  const list = keys.keys;
  const { list: table, keepFocusOnReload } = useFocusFallback<HTMLTableElement>(list, keys.loading);

  return (
    <section aria-labelledby="keys-title">
      <div class="page-head">
        <h1 id="keys-title">Keys and tenants</h1>
        <label class="switch">
          <input
            type="checkbox"
            checked={includeRevoked}
            onChange={(e) => setIncludeRevoked(e.currentTarget.checked)}
          />
          Show revoked and expired
        </label>
      </div>
      {issued && <NewKey {...issued} onDone={dismissIssued} />}
      <KeyForm
        buttonRef={newKeyButton}
        onCreate={(input) =>
          act(async () => {
            const created = await postJson<{ key: string; name: string }>("/admin/api/keys", input);
            setIssued({ key: created.key, name: created.name, note: "created", from: null });
          }, 1)
        }
      />
      {limiting && (
        <KeyLimitsForm
          key={limiting.id}
          current={limiting}
          onCancel={() => setLimiting(null)}
          onSave={(input) =>
            act(async () => {
              await postJson(`/admin/api/keys/${limiting.id}/limits`, input);
              setLimiting(null);
            })
          }
        />
      )}
      <Failure error={error ?? keys.error} />
      {keys.spendError && <p class="muted small">{keys.spendError}</p>}
      <div {...scrollRegion("Keys table")} class="scroll card flush">
        <table class="keys" ref={table} tabIndex={-1} aria-labelledby="keys-title">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th class="wide">Tenant</th>
              <th class="wide">Models</th>
              <th class="wide">Limits</th>
              <th>Spend / budget</th>
              <th>Status</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.id} data-key-name={k.name} data-key-id={k.id} data-spent={k.spent ?? undefined}>
                <td>
                  {k.name}
                  <div class="muted small">{k.key_preview}</div>
                </td>
                <td>{k.role}</td>
                <td class="wide">{k.tenant}</td>
                <td class="wide">
                  <BdiList items={k.models} />
                </td>
                <td class="wide small">{rateLimits(k.rpm, k.tpm)}</td>
                <td>
                  {k.spent === null ? "–" : usd(k.spent)} /{" "}
                  {k.budget_usd === null ? "no budget" : usd(k.budget_usd)}
                  {k.budget_usd && k.spent !== null ? (
                    <meter
                      min={0}
                      max={k.budget_usd}
                      value={k.spent}
                      high={k.budget_usd * 0.8}
                      aria-label="share of budget spent"
                    />
                  ) : null}
                </td>
                <td>
                  <span class={`badge ${k.status === "active" ? "good" : "bad"}`}>{k.status}</span>
                  {k.expires_at && k.status === "active" && (
                    <div class="muted small">until {new Date(k.expires_at).toLocaleString()}</div>
                  )}
                </td>
                <td class="row-actions">
                  {k.status === "active" &&
                    (rotating === k.id ? (
                      <RotateKeyForm
                        grace={grace}
                        onGrace={setGrace}
                        sending={rotatingNow}
                        onCancel={() => cancelRotation(k.id)}
                        onRotate={() => {
                          if (rotatingNow) return;
                          setRotatingNow(true);
                          void act(async () => {
                            const rotated = await postJson<{
                              key: string;
                              name: string;
                              previous?: Pick<KeyView, "expires_at">;
                            }>(`/admin/api/keys/${k.id}/rotate`, { grace });
                            setRotating(null);
                            setIssued({
                              key: rotated.key,
                              name: rotated.name,
                              note: rotationNote(grace, rotated.previous?.expires_at ?? null),
                              from: k.id,
                            });
                          }, 1).finally(() => setRotatingNow(false));
                        }}
                      />
                    ) : (
                      <>
                        <button
                          type="button"
                          class="secondary"
                          ref={(button) => {
                            if (button) rotateButtons.current.set(k.id, button);
                            else rotateButtons.current.delete(k.id);
                          }}
                          onClick={() => setRotating(k.id)}
                        >
                          Rotate
                        </button>
                        <button
                          type="button"
                          class="secondary"
                          onClick={(e) => {
                            limitsOpener.current = e.currentTarget;
                            setLimiting(k);
                          }}
                        >
                          Limits
                        </button>
                        <RevokeKey
                          name={k.name}
                          countNamesakes={() => activeNamesakes(k)}
                          onError={setError}
                          onRevoke={(scope) => {
                            // The row goes (or loses its buttons) with focus in it: to the list then.
                            keepFocusOnReload();
                            void act(async () => {
                              if (scope === "name") await revokeNamesakes(k);
                              else await postJson(`/admin/api/keys/${k.id}/revoke`);
                            });
                          }}
                        />
                      </>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 && !keys.loading && !keys.error && (
          <p class="muted pad">{includeRevoked ? "No keys." : "No active keys."}</p>
        )}
      </div>
      <div class="pager">
        {keys.more && (
          <button
            type="button"
            class="secondary"
            disabled={keys.loading}
            onClick={() => {
              // The last page in, the button goes with focus on it: focus goes to the list.
              keepFocusOnReload();
              keys.loadMore();
            }}
          >
            {keys.loading ? "Loading…" : "Load more"}
          </button>
        )}
        <span class="muted" data-keys-shown={list.length}>
          {list.length} shown
        </span>
      </div>
      <TenantsSection keys={list} listed={!keys.loading && !keys.error} changes={changes} />
    </section>
  );
}
