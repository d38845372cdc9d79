/** @jsxImportSource preact */
import { useEffect, useRef } from "preact/hooks";
import { useFocusBackWhenSent } from "../use-focus-back-when-sent.ts";

/**
 * A key's rotation, drawn in its row in place of the row's buttons: the grace period the old key
 * keeps working for. The Rotate button pressed goes as it opens, so it opens with its grace field
 * focused; Escape is its Cancel. `sending`: a rotation under way, Rotate now disabled meanwhile.
 */
export function RotateKeyForm({
  grace,
  onGrace,
  sending,
  onRotate,
  onCancel,
}: {
  grace: string;
  onGrace: (grace: string) => void;
  sending: boolean;
  onRotate: () => void;
  onCancel: () => void;
}) {
  const graceField = useRef<HTMLInputElement>(null);
  const rotateButton = useFocusBackWhenSent(sending);
  useEffect(() => graceField.current?.focus(), []);
  return (
    <form
      class="inline"
      onKeyDown={(e) => e.key === "Escape" && onCancel()}
      onSubmit={(e) => {
        e.preventDefault();
        onRotate();
      }}
    >
      <label>
        Grace
        <input
          ref={graceField}
          name="grace"
          value={grace}
          size={5}
          onInput={(e) => onGrace(e.currentTarget.value)}
        />
      </label>
      <button type="submit" ref={rotateButton} disabled={sending}>
        Rotate now
      </button>
      <button type="button" class="ghost" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
