/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";

/** A freshly issued key, shown this once with a copy button; it is gone when dismissed. */
export function NewKey({
  name,
  note,
  onDone,
  ...props
}: {
  key: string;
  name: string;
  note: string;
  onDone: () => void;
}) {
  const plain = props.key;
  const [copied, setCopied] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: select the field whenever a new key is shown
  useEffect(() => field.current?.select(), [plain]);
  return (
    <div class="card notice" role="status" aria-live="polite">
      <h2>
        Key “{name}” {note}
      </h2>
      <p>Copy it now: it is shown this once and stored only as a hash.</p>
      <div class="copy-row">
        <input ref={field} readOnly value={plain} aria-label="New key" data-new-key />
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard.writeText(plain).then(
              () => setCopied(true),
              () => field.current?.select(),
            );
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" class="ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
