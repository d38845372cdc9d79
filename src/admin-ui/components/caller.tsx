/** @jsxImportSource preact */
import { callerView } from "../caller-view.ts";

/**
 * A request's or an admin change's caller, shown one way on every page: who (in <bdi>: a name
 * someone chose), what kind of caller, and its id on a line of its own (wide screens; in the
 * title on every screen). With `onChoose`, the name is a button handing the page the id to filter
 * by: the name alone may be a key's and a JWT subject's both.
 */
export function Caller({
  id,
  name,
  onChoose,
}: {
  id: string | null;
  name: string | null;
  onChoose?: (id: string) => void;
}) {
  const caller = callerView(id, name);
  if (!caller) return <>–</>;
  const chosen = caller.id;
  const who = <bdi>{caller.name}</bdi>;
  return (
    <span class="caller" data-caller-id={chosen ?? undefined} title={chosen ?? undefined}>
      {onChoose && chosen ? (
        <button type="button" class="link" onClick={() => onChoose(chosen)}>
          {who}
        </button>
      ) : (
        who
      )}
      {caller.kind && (
        <>
          {" "}
          <span class="muted small">{caller.kind}</span>
        </>
      )}
      {chosen && (
        <span class="caller-id muted small wide">
          <bdi>{chosen}</bdi>
        </span>
      )}
    </span>
  );
}
