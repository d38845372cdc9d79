import { afterAll, expect, test } from "bun:test";
import { redirectingUpstream } from "../../testing/redirecting-upstream.ts";
import { discoverModels, listingFailed } from "./discover-models.ts";
import { probeResponsesApi } from "./probe-responses-api.ts";

// A worker's calls to its own upstream follow no redirect (docs/SECURITY.md): its listing and its
// Responses probe carry the --upstream-key, which would go to wherever the Location points.

const upstream = redirectingUpstream();
afterAll(() => upstream.stop());
const signal = new AbortController().signal;

test("a listing answered with a redirect is not followed, and says so in the words of an upstream call's", async () => {
  const failed = await discoverModels(`${upstream.base}/v1`, "sk-worker-SECRET", signal).then(
    (models) => ({ message: `listed ${models.join(", ")}` }),
    listingFailed,
  );
  expect(failed.message).toBe(
    `could not list the upstream's models: it answered 307, a redirect to ${upstream.leadsTo}, which the gateway does not follow`,
  );
  expect(upstream.reached).toEqual([]);
});

test("a Responses probe answered with a redirect is not followed: it tells nothing of the endpoint", async () => {
  expect(await probeResponsesApi(`${upstream.base}/v1`, "sk-worker-SECRET", signal)).toBe("unknown");
  expect(upstream.reached).toEqual([]);
});
