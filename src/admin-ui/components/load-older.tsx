/** @jsxImportSource preact */

/**
 * The "Load older" button under a paged list (Requests, Shadow, Activity): disabled and saying so
 * while a page loads, and keeping keyboard focus where the user was (`keepFocusOnReload` from
 * `useFocusFallback`: with the last page in, the button goes with focus on it).
 */
export function LoadOlder({
  loading,
  keepFocusOnReload,
  onLoad,
}: {
  loading: boolean;
  keepFocusOnReload: () => void;
  onLoad: () => void;
}) {
  return (
    <button
      type="button"
      class="secondary"
      disabled={loading}
      onClick={() => {
        keepFocusOnReload();
        onLoad();
      }}
    >
      {loading ? "Loading…" : "Load older"}
    </button>
  );
}
