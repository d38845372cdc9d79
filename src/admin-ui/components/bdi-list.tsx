/** @jsxImportSource preact */
import { Fragment } from "preact";

/**
 * Names someone else chose (model globs, a worker's models), comma-separated, each in its own
 * <bdi>: a right-to-left override in one stays inside it, never reversing the next.
 */
export function BdiList({ items }: { items: readonly string[] }) {
  return (
    <>
      {items.map((item, i) => (
        <Fragment key={item}>
          {i > 0 && ", "}
          <bdi>{item}</bdi>
        </Fragment>
      ))}
    </>
  );
}
