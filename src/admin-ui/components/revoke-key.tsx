/** @jsxImportSource preact */
import { useState } from "preact/hooks";

/** Which keys a Revoke ends: this one by its id, or every active key of its name. */
export type RevokeScope = "key" | "name";

/**
 * A key's Revoke, read as `mindgw keys revoke NAME` reads a name: when other active keys share the
 * name (a rotation's old and new key, in its grace window), revoking this one alone would leave the
 * name working, so the choice says so and offers them all beside this key only. A key alone under
 * its name is asked about in a plain confirm.
 */
export function RevokeKey({
  name,
  namesakes,
  onRevoke,
}: {
  name: string;
  /** The active keys of this name listed, this one included. */
  namesakes: number;
  onRevoke: (scope: RevokeScope) => void;
}) {
  const [choosing, setChoosing] = useState(false);
  if (!choosing)
    return (
      <button
        type="button"
        class="danger"
        onClick={() => {
          if (namesakes > 1) setChoosing(true);
          // The name isolated (FSI…PDI): a dialog has no <bdi>.
          else if (confirm(`Revoke key "\u2068${name}\u2069"? Callers using it are refused at once.`))
            onRevoke("key");
        }}
      >
        Revoke
      </button>
    );
  const choose = (scope: RevokeScope) => {
    setChoosing(false);
    onRevoke(scope);
  };
  return (
    <fieldset class="revoke-choice">
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
      <button type="button" class="ghost" onClick={() => setChoosing(false)}>
        Cancel
      </button>
    </fieldset>
  );
}
