/** @jsxImportSource preact */
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { messageOf } from "../core/describe-error.ts";
import type { UiPage } from "../http/admin-ui/ui-pages.ts";
import { currentSession, type SessionInfo, setSession, signOut } from "./api.ts";
import { Failure } from "./components/failure.tsx";
import { checkWhenIdle } from "./idle-check.ts";
import { ActivityPage } from "./pages/activity.tsx";
import { KeysPage } from "./pages/keys.tsx";
import { ModelsPage } from "./pages/models.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { RequestsPage } from "./pages/requests.tsx";
import { ShadowPage } from "./pages/shadow.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { WorkersPage } from "./pages/workers.tsx";
import { navigate, usePage } from "./router.ts";
import { SESSION_ENDED, SESSION_IDLE, sessionUnreadMessage } from "./session-unread.ts";
import { applyTheme, loadTheme, type Theme } from "./theme.ts";

const NAV: { page: UiPage; label: string }[] = [
  { page: "overview", label: "Overview" },
  { page: "requests", label: "Requests" },
  { page: "workers", label: "Workers" },
  { page: "keys", label: "Keys" },
  { page: "models", label: "Models" },
  { page: "shadow", label: "Shadow" },
  { page: "activity", label: "Activity" },
];

const PAGES: Record<UiPage, () => preact.JSX.Element> = {
  overview: OverviewPage,
  requests: RequestsPage,
  workers: WorkersPage,
  keys: KeysPage,
  models: ModelsPage,
  shadow: ShadowPage,
  activity: ActivityPage,
};

export function App() {
  const [session, setSessionState] = useState<SessionInfo>();
  const [theme, setTheme] = useState<Theme>(loadTheme());
  const [signOutError, setSignOutError] = useState<string>();
  /** Why the sign-in page is shown: the session could not be read, or it ended while in use. */
  const [notice, setNotice] = useState<string>();
  const page = usePage();

  /** The session ended while the page was in use (`idle`: the gateway ended it for inactivity). */
  const ended = (oidc: boolean, idle: boolean) => {
    // Polls refused together: the one the gateway answered first, that found the session idle,
    // says why; the others, answered after it was ended, only that it ended.
    setNotice((said) => (idle || said === SESSION_IDLE ? SESSION_IDLE : SESSION_ENDED));
    setSessionState({ signedIn: false, oidc });
  };
  const adopt = (info: SessionInfo) => {
    setNotice(undefined);
    // A sign-out that failed was the session before: one refused since (its 401 showed the sign-in
    // page, the failure coming after) or not, it is not this session's to show.
    setSignOutError(undefined);
    setSession(info, (idle) => ended(info.oidc, idle));
    setSessionState(info);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once: the session is read at start
  useEffect(() => {
    const start = (info: SessionInfo) => {
      adopt(info);
      // Opened (or reloaded) after the session was ended for inactivity: said as when it is open.
      if (info.ended === "idle") setNotice(SESSION_IDLE);
    };
    currentSession().then(start, (failure: unknown) => {
      setNotice(sessionUnreadMessage(failure));
      setSessionState({ signedIn: false, oidc: false });
    });
  }, []);
  useEffect(() => applyTheme(theme), [theme]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one check per session read, not per render
  useEffect(() => {
    if (!session?.signedIn) return;
    return checkWhenIdle(session, (idle) => ended(session.oidc, idle));
  }, [session]);
  // The tab's title names the page, so tabs and history entries can be told apart; set with the
  // render it names (a layout effect), not a frame after it.
  useLayoutEffect(() => {
    if (!session) return;
    const name = session.signedIn ? NAV.find((item) => item.page === page)?.label : "Sign in";
    document.title = name ? `${name} · mindgw admin` : "mindgw admin";
  }, [session, page]);

  if (!session) return <p class="loading">Loading…</p>;
  // Keyed by the notice: the sign-in page takes it when it mounts, so one the page clears (a
  // sign-out of its own, answered after a refused poll had said the session ended) starts it afresh.
  if (!session.signedIn)
    return <SignIn key={notice ?? ""} oidc={session.oidc} onSignedIn={adopt} notice={notice} />;
  const Page = PAGES[page];
  const nextTheme: Record<Theme, Theme> = { auto: "light", light: "dark", dark: "auto" };
  return (
    <div class="layout">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">mindgw</span>
        <nav aria-label="Pages">
          {NAV.map((item) => (
            <a
              key={item.page}
              href={`/admin/${item.page}`}
              aria-current={item.page === page ? "page" : undefined}
              onClick={(event) => {
                if (event.metaKey || event.ctrlKey || event.shiftKey) return;
                event.preventDefault();
                navigate(item.page);
              }}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div class="who">
          <button type="button" class="ghost" onClick={() => setTheme(nextTheme[theme])} title="Switch theme">
            Theme: {theme}
          </button>
          <span
            class="user"
            title={`signed in with ${session.user?.method === "oidc" ? "single sign-on" : "an admin key"}`}
          >
            {session.user?.name}
          </span>
          <button
            type="button"
            onClick={() => {
              setSignOutError(undefined);
              // Only a sign-out the gateway confirmed shows the sign-in page: after a failure the
              // session still works, and the page must not pretend otherwise. (A 401 means it had
              // already ended: api.ts shows the sign-in page for that.)
              signOut().then(
                () => {
                  // Signed out on purpose: a poll refused after this is no news to say, and one
                  // refused before this (the logout handled, its answer not yet read) said it too soon.
                  setSession({ signedIn: false, oidc: session.oidc }, () => {});
                  setNotice(undefined);
                  setSessionState({ signedIn: false, oidc: session.oidc });
                },
                (failure: unknown) =>
                  setSignOutError(`Sign-out failed; the session is still open (${messageOf(failure)}).`),
              );
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Failure error={signOutError} />
        <Page />
      </main>
    </div>
  );
}
