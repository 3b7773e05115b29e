import { describe, expect, test } from "vitest";
import { assessOffer, pledgeAnswerOf, receivedResponse, replyRefusal } from "./inbound-response.ts";
import { aNeed, NEED_CREATED_AT } from "./proposal.fixture.ts";

const t0 = NEED_CREATED_AT;

const need = aNeed;

const alice = "https://m.example/users/alice";

describe("replyRefusal", () => {
  test("the sender's own reply, on its origin, is taken", () => {
    expect(
      replyRefusal({ noteId: `${alice}/statuses/1`, actorId: alice, attributedTo: alice }),
    ).toBeNull();
  });

  test("a reply without its actor or its own id is refused", () => {
    expect(replyRefusal({ noteId: null, actorId: alice, attributedTo: alice })).toBe(
      "no actor or reply id",
    );
    expect(replyRefusal({ noteId: `${alice}/statuses/1`, actorId: null, attributedTo: null })).toBe(
      "no actor or reply id",
    );
  });

  test("a reply on another origin, or attributed to someone else, is not the sender's", () => {
    expect(
      replyRefusal({
        noteId: "https://other.example/notes/1",
        actorId: alice,
        attributedTo: alice,
      }),
    ).toBe("the reply is not the sender's own");
    expect(
      replyRefusal({
        noteId: `${alice}/statuses/1`,
        actorId: alice,
        attributedTo: "https://m.example/users/bob",
      }),
    ).toBe("the reply is not the sender's own");
  });
});

describe("assessOffer", () => {
  test("an offer in the need's unit is taken with its quantity, written exactly", () => {
    expect(assessOffer(need(), { amount: "5.0", unit: "one" })).toEqual({
      ok: true,
      quantity: { amount: "5", unit: "one" },
    });
  });

  test("more than is still needed is the coordinator's call, not a refusal", () => {
    expect(assessOffer(need({ pledgedAmount: "18" }), { amount: "10", unit: "one" })).toEqual({
      ok: true,
      quantity: { amount: "10", unit: "one" },
    });
  });

  test("an amount off the need's step is refused", () => {
    expect(assessOffer(need(), { amount: "5.5", unit: "one" })).toEqual({
      ok: false,
      reason: "The quantity must be a multiple of 1 one",
    });
  });

  test("an offer without a quantity is taken without one", () => {
    expect(assessOffer(need(), null)).toEqual({ ok: true, quantity: null });
  });

  test("an ended need takes no more pledges", () => {
    expect(assessOffer(need({ status: "fulfilled" }), null)).toEqual({
      ok: false,
      reason: "This is fulfilled; it takes no more pledges",
    });
  });

  test("a wrong unit, nothing or not a number is refused with the reason", () => {
    expect(assessOffer(need(), { amount: "5", unit: "kg" })).toEqual({
      ok: false,
      reason: "The unit must be one, not kg",
    });
    expect(assessOffer(need(), { amount: "0", unit: "one" })).toEqual({
      ok: false,
      reason: "The quantity must be more than zero",
    });
    expect(assessOffer(need(), { amount: "lots", unit: "one" })).toEqual({
      ok: false,
      reason: '"lots" is not a non-negative decimal number',
    });
  });

  test("a quantity for a need without one is refused", () => {
    expect(assessOffer(need({ quantity: null }), { amount: "5", unit: "one" })).toEqual({
      ok: false,
      reason: "This need or offer has no quantity; answer without one",
    });
  });
});

describe("receivedResponse", () => {
  test("a remote answer is stored proposed, addressed to its responder", () => {
    const stored = receivedResponse({
      id: "response-1",
      proposalId: "need-1",
      source: "agreement",
      actorId: alice,
      responder: { inbox: `${alice}/inbox`, name: "@alice@m.example" },
      activityId: `${alice}/offers/1`,
      content: "Five coolers",
      quantity: { amount: "5", unit: "one" },
      remoteUpdatedAt: null,
      now: t0,
    });
    expect(stored).toMatchObject({
      state: "proposed",
      actorInboxUrl: `${alice}/inbox`,
      actorName: "@alice@m.example",
      acceptedAmount: null,
      contact: null,
      reason: null,
      createdAt: t0,
      updatedAt: t0,
    });
  });
});

describe("pledgeAnswerOf", () => {
  test("an Accept keeps the finalised Agreement and no reason", () => {
    expect(
      pledgeAnswerOf({ accepted: true, reason: "ignored", agreementId: "https://p.example/a/1" }),
    ).toEqual({
      state: "accepted",
      reason: null,
      agreementId: "https://p.example/a/1",
      message: { key: "pledge-accepted" },
    });
  });

  test("a Reject keeps its reason, an empty one as none, and no Agreement", () => {
    expect(pledgeAnswerOf({ accepted: false, reason: "Covered", agreementId: null })).toEqual({
      state: "rejected",
      reason: "Covered",
      agreementId: null,
      message: { key: "pledge-declined", reason: "Covered" },
    });
    expect(pledgeAnswerOf({ accepted: false, reason: "", agreementId: null }).reason).toBeNull();
  });
});
