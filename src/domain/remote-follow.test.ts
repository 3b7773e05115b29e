import { describe, expect, it } from "vitest";
import { expandSubscribeTemplate, parseAccountAddress } from "./remote-follow.ts";

describe("remote follow", () => {
  it("reads user@host with or without the leading @", () => {
    expect(parseAccountAddress(" @Maria@Mastodon.Social ")).toEqual({
      user: "Maria",
      host: "mastodon.social",
    });
    expect(parseAccountAddress("maria@social.example:8443")).toEqual({
      user: "maria",
      host: "social.example:8443",
    });
  });

  it("refuses what is not an account address", () => {
    for (const input of [
      "maria",
      "maria@",
      "@mastodon.social",
      "a@b@c.example",
      "x@nodot",
      "x@h/p.example",
    ]) {
      expect(parseAccountAddress(input)).toBeNull();
    }
  });

  it("fills {uri} encoded and accepts only http(s) results", () => {
    expect(
      expandSubscribeTemplate(
        "https://mastodon.social/authorize_interaction?uri={uri}",
        "https://aid.example/groups/food",
      )?.href,
    ).toBe(
      "https://mastodon.social/authorize_interaction?uri=https%3A%2F%2Faid.example%2Fgroups%2Ffood",
    );
    expect(expandSubscribeTemplate("javascript:alert({uri})", "x")).toBeNull();
    expect(expandSubscribeTemplate("https://no-placeholder.example/", "x")).toBeNull();
  });
});
