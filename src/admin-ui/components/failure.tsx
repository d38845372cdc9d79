/** @jsxImportSource preact */

/** A failed load, said plainly where the data would be. */
export function Failure({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}
