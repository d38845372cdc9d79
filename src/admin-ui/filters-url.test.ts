import { describe, expect, test } from "bun:test";
import { filtersForm, historyStep } from "./filters-url.ts";
import { REQUEST_FILTERS_FORM as form, NO_FILTERS } from "./request-filters.ts";

describe("the Requests page's filters in its address", () => {
  test("none is no query string, and none is read from one without them", () => {
    expect(form.toSearch(NO_FILTERS)).toBe("");
    expect(form.fromSearch("")).toEqual(NO_FILTERS);
    expect(form.fromSearch("?utm=x&admin=yes")).toEqual(NO_FILTERS);
  });

  test("every filter goes there and back as typed, trimmed, the admin calls' switch as admin=1", () => {
    const filters = {
      key: "key_1",
      model: "gpt 4o",
      route: "worker:w1@node-b",
      app: "billing",
      status: "5xx",
      from: "2026-12-06T10:00:00",
      to: "2026-12-06T11:00",
      showAdmin: true,
    };
    const search = form.toSearch({ ...filters, model: " gpt 4o " });
    expect(search).toBe(
      "?key=key_1&model=gpt+4o&route=worker%3Aw1%40node-b&app=billing&status=5xx&from=2026-12-06T10%3A00%3A00&to=2026-12-06T11%3A00&admin=1",
    );
    expect(form.fromSearch(search)).toEqual(filters);
  });
});

describe("another page's filters, under parameters named apart from their fields", () => {
  const shadow = filtersForm({ model: "model", keyId: "key_id" });

  test("each field under its parameter, in the form's order; none is no query string", () => {
    expect(shadow.toSearch({ model: "", keyId: "" })).toBe("");
    expect(shadow.toSearch({ model: "mock-chat", keyId: " jwt:acme:ops " })).toBe(
      "?model=mock-chat&key_id=jwt%3Aacme%3Aops",
    );
    expect(shadow.fromSearch("?key_id=key_1&keyId=x")).toEqual({ model: "", keyId: "key_1" });
  });

  test("a field is read trimmed, as it is written: the page queries what the tidied address names", () => {
    expect(shadow.fromSearch("?key_id=%20k&model=%20m%20")).toEqual({ model: "m", keyId: "k" });
    expect(shadow.toSearch(shadow.fromSearch("?key_id=%20k"))).toBe("?key_id=k");
  });
});

describe("how a change of filters moves the address", () => {
  const model = (name: string) => ({ ...NO_FILTERS, model: name });

  test("filters of their own are a new history entry; the address's own filters none", () => {
    expect(historyStep(form, "", model("x"))).toBe("push");
    expect(historyStep(form, "?model=x", model("y"))).toBe("push");
    expect(historyStep(form, "?model=x", model("x"))).toBe("none");
    expect(historyStep(form, "", NO_FILTERS)).toBe("none");
  });

  test("the address's own filters written another way are tidied in place, never pushed (Back would land on it and push again)", () => {
    expect(historyStep(form, "?admin=1&model=x", { ...model("x"), showAdmin: true })).toBe("replace");
    expect(historyStep(form, "?model=gpt%204o", model("gpt 4o"))).toBe("replace");
    expect(historyStep(form, "?route=worker:w1", { ...NO_FILTERS, route: "worker:w1" })).toBe("replace");
    expect(historyStep(form, "?utm=campaign", NO_FILTERS)).toBe("replace");
    expect(historyStep(form, "?model=%20x%20", model("x"))).toBe("replace");
  });
});
