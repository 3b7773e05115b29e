import { describe, expect, test } from "vitest";
import { type ProposalViewer, proposalVisibility } from "./proposal-visibility.ts";

const signer: ProposalViewer = { kind: "server", signerOrigin: async () => "https://peer.example" };
const viewers: Record<string, ProposalViewer> = {
  anonymous: { kind: "anonymous" },
  admin: { kind: "admin" },
  "its coordinator": { kind: "coordinator", groupId: "group-1" },
  "another group's coordinator": { kind: "coordinator", groupId: "group-2" },
  "another server": signer,
};

describe("proposalVisibility", () => {
  test.each(Object.entries(viewers))("a public post is visible to %s", (_, viewer) => {
    expect(proposalVisibility({ audience: "public", groupId: "group-1" }, viewer)).toBe("visible");
  });

  test.each([
    ["anonymous", "hidden"],
    ["admin", "visible"],
    ["its coordinator", "visible"],
    ["another group's coordinator", "hidden"],
    ["another server", "if-server-follows"],
  ])("a followers-only post, seen by %s, is %s", (name, expected) => {
    expect(proposalVisibility({ audience: "followers", groupId: "group-1" }, viewers[name]!)).toBe(
      expected,
    );
  });
});
