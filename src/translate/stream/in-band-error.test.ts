import { expect, test } from "bun:test";
import { errorEvent } from "../../core/error-wire.ts";
import { readGoogleError } from "../../core/google-errors.ts";
import { googleInBandError } from "./in-band-error.ts";

test("Google's quota mid-stream reaches the caller's error event without the gateway's project", () => {
  const google = readGoogleError({
    error: {
      code: 429,
      message:
        "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'project_number:681255809395'.",
      status: "RESOURCE_EXHAUSTED",
    },
  });
  if (!google) throw new Error("not a Google error");
  const failure = googleInBandError(google);
  expect([failure.status, failure.upstream?.status]).toEqual([429, 429]);
  for (const wire of ["openai", "anthropic"] as const) {
    const data = errorEvent(failure, wire).data;
    expect(data).toContain("for consumer '(the gateway's upstream account)'");
    expect(data).not.toContain("681255809395");
  }
});
