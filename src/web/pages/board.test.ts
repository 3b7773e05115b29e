import { describe, expect, it } from "vitest";
import { instanceUrls } from "../../urls.ts";
import type { PageContext } from "../context.ts";
import { messagesFor } from "../i18n/locale.ts";
import { BoardFilterForm, boardFilterFields, groupLabel } from "./board.ts";

const page: PageContext = {
  locale: "en",
  t: messagesFor("en"),
  urls: instanceUrls(new URL("https://aid.example")),
  currentUrl: new URL("https://aid.example/incidents/x"),
  timeZone: "UTC",
};

describe("the board pages' parts", () => {
  it("renders the filter form from its fields, a typed one included", () => {
    const html = String(
      BoardFilterForm({
        page,
        action: "/incidents/x",
        fields: [
          ...boardFilterFields(page, { purpose: "offer" }),
          { kind: "input", name: "km", label: "Within km", value: '5"><b>', inputmode: "decimal" },
        ],
      }),
    );
    expect(html).toContain('<form method="get" action="/incidents/x"');
    expect(html).toContain('<option value="offer" selected="">Offers</option>');
    expect(html).toContain('<label for="filter-km">Within km</label>');
    expect(html).toContain(
      '<input id="filter-km" name="km" type="text" inputmode="decimal" value="5&quot;&gt;&lt;b&gt;"/>',
    );
  });

  it("names groups by handle here and by name@host elsewhere", () => {
    const ours = "https://aid.example/groups/food";
    expect(groupLabel({ actorId: ours, pageUrl: ours, name: "Food", handle: "food" })).toBe(
      "@food",
    );
    const theirs = "https://city-b.example/groups/relief";
    expect(groupLabel({ actorId: theirs, pageUrl: theirs, name: null, handle: null })).toBe(
      "relief@city-b.example",
    );
    expect(groupLabel({ actorId: "not a url", pageUrl: "", name: null, handle: null })).toBe(
      "not a url",
    );
  });
});
