/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "../../core/describe-error.ts";

/** Which keys a Revoke ends: this one by its id, or every active key of its name. */
export type RevokeScope = "key" | "name";

/**
 * A key's Revoke, read as `mindgw keys revoke NAME` reads a name: when other active keys share the
 * name (a rotation's old and new key, in its grace window), revoking this one alone would leave the
 * name working, so the choice says so and offers them all beside this key only. How many there are
 * is asked of the gateway when Revoke is pressed, not counted among the keys the page has loaded. A
 * key alone under its name is asked about in a plain confirm. The choice is drawn in place of the
 * Revoke button pressed, so focus moves with them: to the choice as it opens (its legend read, none
 * of its buttons pressed by a second Enter), back to Revoke when it is cancelled (Cancel, Escape).
 * While the count is asked for, Revoke ignores presses rather than being disabled: Chromium drops
 * focus from a disabled button, and a count that fails or a confirm cancelled would leave it at the
 * top of the page.
 */
export function RevokeKey({
  name,
  countNamesakes,
  onRevoke,
  onError,
}: {
  name: string;
  /** The active keys of this name the admin manages, this one included. */
  countNamesakes: () => Promise<number>;
  onRevoke: (scope: RevokeScope) => void;
  onError: (message: string) => void;
}) {
  /** A count is being asked for: a press meanwhile is ignored. */
  const asking = useRef(false);
  /** The name's active keys while the choice is shown; null when it is not. */
  const [namesakes, setNamesakes] = useState<number | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const choice = useRef<HTMLFieldSetElement>(null);
  const cancelled = useRef(false);
  useEffect(() => {
    if (namesakes !== null) choice.current?.focus();
    else if (cancelled.current) button.current?.focus();
    cancelled.current = false;
  }, [namesakes]);
  const cancel = () => {
    cancelled.current = true;
    setNamesakes(null);
  };
  const start = async () => {
    if (asking.current) return;
    asking.current = true;
    let count: number;
    try {
      count = await countNamesakes();
    } catch (failure) {
      onError(messageOf(failure));
      return;
    } finally {
      asking.current = false;
    }
    if (count > 1) setNamesakes(count);
    // The name isolated (FSI…PDI): a dialog has no <bdi>.
    else if (confirm(`Revoke key "\u2068${name}\u2069"? Callers using it are refused at once.`))
      onRevoke("key");
  };
  if (namesakes === null)
    return (
      <button type="button" class="danger" ref={button} onClick={() => void start()}>
        Revoke
      </button>
    );
  const choose = (scope: RevokeScope) => {
    setNamesakes(null);
    onRevoke(scope);
  };
  return (
    <fieldset
      class="revoke-choice"
      ref={choice}
      tabIndex={-1}
      onKeyDown={(e) => e.key === "Escape" && cancel()}
    >
      <legend class="small">
        {namesakes} active keys are named “<bdi>{name}</bdi>”, as during a rotation's grace window: revoking
        only this one leaves the name working. Callers using a revoked key are refused at once.
      </legend>
      <button type="button" class="danger" onClick={() => choose("name")}>
        Revoke all {namesakes} keys named “<bdi>{name}</bdi>”
      </button>
      <button type="button" class="secondary" onClick={() => choose("key")}>
        Revoke only this key
      </button>
      <button type="button" class="ghost" onClick={cancel}>
        Cancel
      </button>
    </fieldset>
  );
}
