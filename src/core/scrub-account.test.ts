import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { holdCredentials } from "./credentials.ts";
import { errorBody, toldMessage } from "./error-wire.ts";
import { GatewayError, modelNotFound } from "./gateway-error.ts";
import { scrubAccount, scrubAccountInBody, scrubbedMessage } from "./scrub-account.ts";

const ACCOUNT = "(the gateway's upstream account)";

describe("scrubAccount: the upstream account's identifiers, as each vendor writes them", () => {
  test.each([
    [
      // OpenAI's 429 (BuilderIO/micro-agent#86).
      "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.",
      `Rate limit reached for gpt-4o in organization ${ACCOUNT} on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.`,
    ],
    [
      // Anthropic's 429 (bhouston/mycoder#62).
      "This request would exceed the rate limit for your organization (a22cf6e6-a940-4fff-8c4c-1580816ac7be) of 40,000 input tokens per minute.",
      `This request would exceed the rate limit for your organization ${ACCOUNT} of 40,000 input tokens per minute.`,
    ],
    [
      // Gemini's and Vertex AI's quota (google-gemini/gemini-cli#10925).
      "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'aiplatform.googleapis.com' for consumer 'project_number:681255809395'.",
      `Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'aiplatform.googleapis.com' for consumer '${ACCOUNT}'.`,
    ],
    [
      "Publisher Model `projects/acme-prod-42/locations/us-central1/publishers/google/models/gemini-9` was not found",
      `Publisher Model \`${ACCOUNT}/locations/us-central1/publishers/google/models/gemini-9\` was not found`,
    ],
    [
      "Generative Language API has not been used in project 681255809395 before or it is disabled.",
      `Generative Language API has not been used in project ${ACCOUNT} before or it is disabled.`,
    ],
    [
      "The server had an error while processing your request. (Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.)",
      "The server had an error while processing your request. (Please include the request ID (the upstream's request id) in your message.)",
    ],
    [
      "organization_id: 0f8e2a34-1c5d-4b7e-9a6f-3d2c1b0a9e8f is disabled",
      `organization_id: ${ACCOUNT} is disabled`,
    ],
    [
      // Google's API not enabled, whose link names the project again.
      "Generative Language API has not been used in project 681255809395 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=681255809395 then retry.",
      `Generative Language API has not been used in project ${ACCOUNT} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=${ACCOUNT} then retry.`,
    ],
    [
      // Its quota page, the project after another parameter.
      "Quota exceeded. See https://console.cloud.google.com/iam-admin/quotas?usage=USED&project=acme-prod-42 for your limits.",
      `Quota exceeded. See https://console.cloud.google.com/iam-admin/quotas?usage=USED&project=${ACCOUNT} for your limits.`,
    ],
  ])("%s", (said, scrubbed) => {
    expect(scrubAccount(said)).toBe(scrubbed);
  });

  // No clock read: the test's deadline is the bound. A look ahead from every link for its query
  // took a second at 256 KB and grew with the square of the length; a megabyte is a few ms now.
  test("a megabyte of console links is read in time in proportion to its length, a project after one still scrubbed", () => {
    const links = "console.cloud.google.com/".repeat(40_000);
    const said = `project ${links}`;
    expect(scrubAccount(said)).toBe(said);
    expect(scrubAccount(`project ${links}apis/api/x/overview?project=acme-prod`)).toBe(
      `project ${links}apis/api/x/overview?project=${ACCOUNT}`,
    );
  }, 10_000);

  test("words that name no account are kept as they are", () => {
    for (const said of [
      "Your organization's billing is not set up. Please add a payment method.",
      "prompt is too long: 208310 tokens > 200000 maximum",
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.",
      // A caller's own ids, in a project of its own words.
      "Item with id 'msg_0a1b2c3d4e5f' not found. The project plan is 3 pages.",
      "temperature: Input should be less than or equal to 1",
      // What an error echoes of the caller's request, the words a vendor writes the account in aside.
      'Invalid tool call arguments: {"path":"/home/me/projects/website/src/index.ts","ticket":"project 1234567"}',
      "The model `projects/acme-prod/models/gemma` does not exist",
      "the build of project_number:42 failed",
    ])
      expect(scrubAccount(said)).toBe(said);
  });
});

describe("scrubAccountInBody", () => {
  const anthropic429 = {
    type: "error",
    error: {
      type: "rate_limit_error",
      message:
        "This request would exceed the rate limit for your organization (a22cf6e6-a940-4fff-8c4c-1580816ac7be).",
    },
    request_id: "req_011CbrFTcXhtiMzr3s6EocF7",
  };

  test("the messages scrubbed and the upstream's request_id left out; the rest kept", () => {
    expect(scrubAccountInBody(anthropic429, JSON.stringify(anthropic429))).toEqual({
      type: "error",
      error: {
        type: "rate_limit_error",
        message: `This request would exceed the rate limit for your organization ${ACCOUNT}.`,
      },
    });
    // The body read is not written to.
    expect(anthropic429.request_id).toBe("req_011CbrFTcXhtiMzr3s6EocF7");
    // Google's details say the message again (LocalizedMessage): scrubbed alike.
    const QUOTA = "Quota exceeded for quota metric 'x' for consumer 'project_number:681255809395'.";
    const google = {
      error: {
        code: 429,
        message: QUOTA,
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.LocalizedMessage", message: QUOTA }, { n: 1 }],
      },
    };
    const told = `Quota exceeded for quota metric 'x' for consumer '${ACCOUNT}'.`;
    expect(scrubAccountInBody(google)).toEqual({
      error: {
        ...google.error,
        message: told,
        details: [{ ...google.error.details[0], message: told }, { n: 1 }],
      },
    });
  });

  test("only the messages: what else the body says (an echo of the caller's request, a request_id of its own) is as sent", () => {
    // A vLLM-style 400 echoing the caller's tool call, beside fields of its own.
    const echo = {
      error: {
        message:
          'Invalid tool call arguments: {"path":"/home/me/projects/website/src/index.ts","ticket":"project 1234567"}',
        type: "BadRequestError",
        param: null,
        code: 400,
      },
      arguments: { ticket: "req_0123456789abcdef", path: "projects/acme/locations/eu" },
    };
    expect(scrubAccountInBody(echo, JSON.stringify(echo))).toBe(echo);
    const deep = { error: { message: "m", metadata: { request_id: "caller-123" } } };
    expect(scrubAccountInBody(deep, JSON.stringify(deep))).toBe(deep);
    // A Responses `error` event says its message at the top.
    const event = {
      type: "error",
      sequence_number: 3,
      message: "see req_0123456789abcdef",
      code: "server_error",
    };
    expect(scrubAccountInBody(event)).toEqual({ ...event, message: "see (the upstream's request id)" });
  });

  test("a body that names no account is the very object, as sent", () => {
    const plain = {
      error: { message: "Invalid 'temperature'", type: "invalid_request_error", param: "temperature" },
    };
    expect(scrubAccountInBody(plain, JSON.stringify(plain))).toBe(plain);
    expect(scrubAccountInBody(plain)).toBe(plain);
  });
});

describe("only an upstream's words are scrubbed, never the gateway's own", () => {
  test("the gateway's 404 naming the caller's model, and its own request id, as they are", () => {
    const own = modelNotFound("projects/acme-prod/locations/eu/models/gemma");
    expect(errorBody(own, "openai")).toMatchObject({
      error: {
        message:
          "The model `projects/acme-prod/locations/eu/models/gemma` does not exist or you do not have access to it.",
      },
    });
    expect(errorBody(own, "anthropic")).toMatchObject({
      error: {
        message:
          "The model `projects/acme-prod/locations/eu/models/gemma` does not exist or you do not have access to it.",
      },
    });
    const ours = new GatewayError({
      status: 500,
      code: "internal_error",
      message: "see request req_0192f3a4b5c67d8e9f0a in the audit log",
    });
    expect(errorBody(ours, "openai")).toMatchObject({ error: { message: ours.message } });
  });

  test("scrubbedMessage: an upstream's message without its account, the gateway's own as it is", () => {
    const theirs = {
      message: "Rate limit reached in organization org-uOtiSEwvUnroadaOnJJquBEC on requests",
      upstream: { dialect: "openai", status: 429 },
    } as const;
    expect(scrubbedMessage(theirs)).toBe(`Rate limit reached in organization ${ACCOUNT} on requests`);
    const ours = { message: "see request req_0192f3a4b5c67d8e9f0a in the audit log", upstream: undefined };
    expect(scrubbedMessage(ours)).toBe(ours.message);
  });

  test("an upstream's, translated, is", () => {
    const theirs = new GatewayError({
      status: 429,
      code: "rate_limited",
      message: "Quota exceeded for consumer 'project_number:681255809395'.",
      upstream: { dialect: undefined, status: 429 },
    });
    expect(errorBody(theirs, "anthropic")).toMatchObject({
      error: { message: `Quota exceeded for consumer '${ACCOUNT}'.` },
    });
  });
});

describe("the gateway's own credentials an upstream quotes never reach a caller", () => {
  const KEY = "plainUpstreamToken_9f8e7d6c5b4a";
  const holder = {};
  beforeAll(() => holdCredentials(holder, [KEY]));
  afterAll(() => holdCredentials(holder, []));
  const quoting = (dialect: "openai" | "anthropic") =>
    new GatewayError({
      status: 400,
      code: "invalid_request",
      message: `Invalid request for key ${KEY}`,
      upstream: {
        dialect,
        status: 400,
        body:
          dialect === "openai"
            ? { error: { message: `Invalid request for key ${KEY}`, type: "invalid_request_error" } }
            : {
                type: "error",
                error: { type: "invalid_request_error", message: `Invalid request for key ${KEY}` },
              },
        text: `{"error":{"message":"Invalid request for key ${KEY}"}}`,
      },
    });

  test.each(["openai", "anthropic"] as const)(
    "an upstream's %s body relayed as sent but for the key",
    (dialect) => {
      expect(JSON.stringify(errorBody(quoting(dialect), dialect))).not.toContain(KEY);
      expect(toldMessage(quoting(dialect), dialect)).toBe("Invalid request for key [redacted]");
    },
  );

  test("translated for a caller of the other dialect, alike", () => {
    expect(errorBody(quoting("openai"), "anthropic")).toMatchObject({
      error: { message: "Invalid request for key [redacted]" },
    });
    expect(errorBody(quoting("anthropic"), "openai")).toMatchObject({
      error: { message: "Invalid request for key [redacted]" },
    });
  });

  test("a credential of a known shape too, though the gateway does not hold it (a key of another account)", () => {
    expect(scrubAccount("bad key gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 here")).toBe(
      "bad key [redacted] here",
    );
    expect(
      scrubAccount("key xai-AbCdEfGhIjKlMnOpQrStUvWx1 or AIzaSyD-abcdefghijklmnopqrstuvwxyz012345"),
    ).toBe("key [redacted] or [redacted]");
  });

  test("a credential the gateway held once and no longer holds is no longer known", () => {
    const gone = {};
    holdCredentials(gone, ["retiredUpstreamToken_0a1b2c"]);
    expect(scrubAccount("key retiredUpstreamToken_0a1b2c")).toBe("key [redacted]");
    holdCredentials(gone, []);
    expect(scrubAccount("key retiredUpstreamToken_0a1b2c")).toBe("key retiredUpstreamToken_0a1b2c");
  });
});
