import { useEffect, useState } from "preact/hooks";
import { UI_PAGES, type UiPage } from "../http/admin-ui/ui-pages.ts";

const pageOf = (path: string): UiPage => {
  const name = path.replace(/^\/admin\/?/, "").split("/")[0] ?? "";
  return (UI_PAGES as readonly string[]).includes(name) ? (name as UiPage) : "overview";
};

/** Moves to another page without a reload (the server serves the same shell at every page path). */
export function navigate(page: UiPage): void {
  history.pushState(null, "", `/admin/${page}`);
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
