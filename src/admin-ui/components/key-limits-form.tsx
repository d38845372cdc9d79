/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import type { KeyView } from "../../auth/key-view.ts";
import { type LimitsFormFields, limitsInput } from "../key-input.ts";
import { useFocusBackWhenSent } from "../use-focus-back-when-sent.ts";
import { Failure } from "./failure.tsx";

const shown = (value: number | null) => (value === null ? "" : String(value));

/**
 * `POST /admin/api/keys/{id}/limits` for one key, filled with what it has now: an emptied limit is
 * lifted, and only what the admin changed is sent. `onSave` answers whether the change was made; a refusal keeps what was typed.
 * It opens with its first field focused (it is drawn above the list, away from the row that opened
 * it), and Escape is its Cancel. While a save is under way it sends no other, as the new-key form.
 */
export function KeyLimitsForm({
  current,
  onSave,
  onCancel,
}: {
  current: KeyView;
  onSave: (input: Record<string, unknown>) => Promise<boolean>;
  onCancel: () => void;
}) {
  // What the form showed first: only the fields changed from it are sent.
  const [first] = useState<LimitsFormFields>(() => ({
    models: current.models.join(","),
    rpm: shown(current.rpm),
    tpm: shown(current.tpm),
    budget_usd: shown(current.budget_usd),
  }));
  const [form, setForm] = useState<LimitsFormFields>(first);
  const [invalid, setInvalid] = useState<string>();
  // A save under way: pressed again meanwhile, it would be the same change twice on record.
  const [sending, setSending] = useState(false);
  const saveButton = useFocusBackWhenSent(sending);
  const firstField = useRef<HTMLInputElement>(null);
  useEffect(() => firstField.current?.focus(), []);
  const set = (name: keyof LimitsFormFields) => (e: { currentTarget: HTMLInputElement }) =>
    setForm({ ...form, [name]: e.currentTarget.value });
  return (
    <form
      class="card key-form"
      aria-label="Change limits"
      data-limits-of={current.id}
      onKeyDown={(e) => e.key === "Escape" && onCancel()}
      onSubmit={(e) => {
        e.preventDefault();
        const checked = limitsInput(form, first);
        setInvalid("error" in checked ? checked.error : undefined);
        if ("error" in checked || sending) return;
        setSending(true);
        void onSave(checked.input).then(() => setSending(false));
      }}
    >
      <Failure error={invalid} />
      <p class="muted small wide-row">
        Limits of <bdi>{current.name}</bdi> ({current.key_preview}); its spend so far is kept.
      </p>
      <label>
        Models (globs, comma-separated)
        <input ref={firstField} name="models" value={form.models} onInput={set("models")} />
      </label>
      <label>
        Requests/min
        <input name="rpm" inputMode="numeric" placeholder="no limit" value={form.rpm} onInput={set("rpm")} />
      </label>
      <label>
        Tokens/min
        <input name="tpm" inputMode="numeric" placeholder="no limit" value={form.tpm} onInput={set("tpm")} />
      </label>
      <label>
        Budget (USD)
        <input
          name="budget_usd"
          inputMode="decimal"
          placeholder="no budget"
          value={form.budget_usd}
          onInput={set("budget_usd")}
        />
      </label>
      <div class="filter-buttons">
        <button type="submit" ref={saveButton} disabled={sending}>
          Save limits
        </button>
        <button type="button" class="ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
