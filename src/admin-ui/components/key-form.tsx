/** @jsxImportSource preact */
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type KeyFormFields, keyInput } from "../key-input.ts";
import { useFocusBackWhenSent } from "../use-focus-back-when-sent.ts";
import { Failure } from "./failure.tsx";

const INITIAL: KeyFormFields = {
  name: "",
  role: "user",
  tenant: "",
  models: "*",
  rpm: "",
  tpm: "",
  budget_usd: "",
  expires_in: "",
};

/**
 * The fields of `POST /admin/api/keys`; empty limits are left out (no limit). `onCreate` answers
 * whether the key was created: only then is the form cleared and closed (a refusal keeps what
 * was typed, to correct). While a create is under way the form sends no other. `buttonRef` is its
 * "New key" button's, drawn while the form is closed. The button goes as the form opens, and the
 * form as it closes, so focus is moved with them: opened, to its first field; cancelled (Cancel,
 * or Escape), back to New key. (A key created is shown, and its Done puts focus back on New key.)
 */
export function KeyForm({
  onCreate,
  buttonRef,
}: {
  onCreate: (input: Record<string, unknown>) => Promise<boolean>;
  buttonRef: RefObject<HTMLButtonElement | null>;
}) {
  const [form, setForm] = useState(INITIAL);
  const [open, setOpen] = useState(false);
  const [invalid, setInvalid] = useState<string>();
  // A create under way: pressed again meanwhile, it would make a second key of the name.
  const [sending, setSending] = useState(false);
  const createButton = useFocusBackWhenSent(sending);
  const firstField = useRef<HTMLInputElement>(null);
  const cancelled = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: focus follows the form opening and closing
  useEffect(() => {
    if (open) firstField.current?.focus();
    else if (cancelled.current) buttonRef.current?.focus();
    cancelled.current = false;
  }, [open]);
  const cancel = () => {
    cancelled.current = true;
    setInvalid(undefined);
    setOpen(false);
  };
  const set = (name: keyof KeyFormFields) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setForm({ ...form, [name]: e.currentTarget.value });
  if (!open)
    return (
      <p>
        <button type="button" ref={buttonRef} onClick={() => setOpen(true)}>
          New key
        </button>
      </p>
    );
  return (
    <form
      class="card key-form"
      aria-label="New key"
      onKeyDown={(e) => e.key === "Escape" && cancel()}
      onSubmit={(e) => {
        e.preventDefault();
        const checked = keyInput(form);
        setInvalid("error" in checked ? checked.error : undefined);
        if ("error" in checked || sending) return;
        setSending(true);
        void onCreate(checked.input).then((created) => {
          setSending(false);
          if (!created) return;
          setForm(INITIAL);
          setOpen(false);
        });
      }}
    >
      <Failure error={invalid} />
      <label>
        Name
        <input ref={firstField} name="name" required value={form.name} onInput={set("name")} />
      </label>
      <label>
        Role
        <select name="role" value={form.role} onChange={set("role")}>
          <option value="user">user</option>
          <option value="admin">admin</option>
          <option value="worker">worker</option>
        </select>
      </label>
      <label>
        Tenant
        <input name="tenant" placeholder="your own" value={form.tenant} onInput={set("tenant")} />
      </label>
      <label>
        Models (globs, comma-separated)
        <input name="models" value={form.models} onInput={set("models")} />
      </label>
      <label>
        Requests/min
        <input name="rpm" inputMode="numeric" value={form.rpm} onInput={set("rpm")} />
      </label>
      <label>
        Tokens/min
        <input name="tpm" inputMode="numeric" value={form.tpm} onInput={set("tpm")} />
      </label>
      <label>
        Budget (USD)
        <input name="budget_usd" inputMode="decimal" value={form.budget_usd} onInput={set("budget_usd")} />
      </label>
      <label>
        Expires in
        <input name="expires_in" placeholder="e.g. 30d" value={form.expires_in} onInput={set("expires_in")} />
      </label>
      <div class="filter-buttons">
        <button type="submit" ref={createButton} disabled={sending}>
          Create key
        </button>
        <button type="button" class="ghost" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
