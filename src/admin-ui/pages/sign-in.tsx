/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { type SessionInfo, signIn } from "../api.ts";
import { useFocusBackWhenSent } from "../use-focus-back-when-sent.ts";
import { signInErrorMessage } from "./sign-in-errors.ts";

/**
 * Sign in with an admin key (traded for a session at once) or through single sign-on. `notice`:
 * why the session could not be read, or that it ended while the page was in use, said until a
 * sign-in is tried.
 */
export function SignIn({
  oidc,
  onSignedIn,
  notice,
}: {
  oidc: boolean;
  onSignedIn: (info: SessionInfo) => void;
  notice?: string | undefined;
}) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const signInButton = useFocusBackWhenSent(busy);
  const [error, setError] = useState(notice || signInErrorMessage(new URLSearchParams(location.search)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const info = await signIn(key.trim());
      setKey("");
      history.replaceState(null, "", location.pathname);
      onSignedIn(info);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "sign-in failed");
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <h1>mindgw admin</h1>
      <form onSubmit={submit} class="card">
        <label for="admin-key">Admin key</label>
        <input
          id="admin-key"
          type="password"
          autoComplete="off"
          placeholder="mgw_…"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          required
        />
        <button type="submit" ref={signInButton} disabled={busy || key.trim() === ""}>
          Sign in
        </button>
        <p class="hint">The key is exchanged for a session and not kept by the browser.</p>
        {oidc && (
          <>
            <div class="or">or</div>
            <a class="button secondary" href="/admin/auth/oidc">
              Sign in with single sign-on
            </a>
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
