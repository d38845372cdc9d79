import { useEffect, useState } from "preact/hooks";
import { UI_PAGES, type UiPage } from "../http/admin-ui/ui-pages.ts";

const pageOf = (path: string): UiPage => {
  const name = path.replace(/^\/admin\/?/, "").split("/")[0] ?? "";
  return (UI_PAGES as readonly string[]).includes(name) ? (name as UiPage) : "overview";
};

/**
 * Moves to another page without a reload (the server serves the same shell at every page path).
 * A page's own link chosen on that page adds no history entry, as a link to the address a browser
 * shows adds none: Back still leaves the page.
 */
export function navigate(page: UiPage): void {
  const path = `/admin/${page}`;
  if (location.pathname === path && location.search === "") return;
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function usePage(): UiPage {
  const [page, setPage] = useState(pageOf(location.pathname));
  useEffect(() => {
    const onPop = () => setPage(pageOf(location.pathname));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  return page;
}
