import { describe, expect, test } from "vitest";
import { checkPledgeQuantity, coverageOf, stepFor } from "./pledging.ts";
import { aNeed, NEED_CREATED_AT } from "./proposal.fixture.ts";
import {
  acceptResponse,
  endingReason,
  type Response,
  rejectResponse,
  withdrawResponse,
} from "./response.ts";

const t0 = NEED_CREATED_AT;
const t1 = Temporal.Instant.from("2026-11-28T11:00:00Z");

const need = aNeed;

function response(overrides: Partial<Response> = {}): Response {
  return {
    id: "response-1",
    proposalId: "need-1",
    source: "reply",
    actorId: "https://m.example/users/alice",
    actorInboxUrl: "https://m.example/users/alice/inbox",
    actorName: "@alice@m.example",
    activityId: "https://m.example/users/alice/statuses/1",
    content: "I have 5 — where can I drop them?",
    quantity: null,
    acceptedAmount: null,
    contact: null,
    state: "proposed",
    reason: null,
    agreementId: null,
    remoteUpdatedAt: t0,
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

describe("coverage", () => {
  test("what is pledged and what is still needed", () => {
    expect(coverageOf(need({ pledgedAmount: "15" }))).toEqual({
      total: { amount: "20", unit: "one" },
      pledged: "15",
      remaining: "5",
      step: "1",
    });
    expect(coverageOf(need({ pledgedAmount: "25" }))?.remaining).toBe("0");
    expect(coverageOf(need({ quantity: null }))).toBeNull();
  });

  test("the step follows the total's precision", () => {
    expect(stepFor("20")).toBe("1");
    expect(stepFor("2.5")).toBe("0.1");
    expect(stepFor("0.25")).toBe("0.01");
  });
});

describe("checking an offered quantity", () => {
  const target = { unit: "one", remaining: "5", step: "1" };
  const ok = { allowExcess: false };

  test("accepts a whole, positive amount within what remains", () => {
    const check = checkPledgeQuantity(target, { amount: "5", unit: "one" }, ok);
    expect(check.ok).toBe(true);
  });

  test.each([
    [{ amount: "-1", unit: "one" }, "not-a-number"],
    [{ amount: "abc", unit: "one" }, "not-a-number"],
    [{ amount: "0", unit: "one" }, "not-positive"],
    [{ amount: "2", unit: "kilogram" }, "unit-mismatch"],
    [{ amount: "1.5", unit: "one" }, "not-a-multiple"],
    [{ amount: "6", unit: "one" }, "exceeds-remaining"],
  ])("refuses %j: %s", (offered, problem) => {
    const check = checkPledgeQuantity(target, offered, ok);
    expect(check).toMatchObject({ ok: false, problem });
  });

  test("an excess passes only when the coordinator allows it", () => {
    expect(
      checkPledgeQuantity(target, { amount: "6", unit: "one" }, { allowExcess: true }).ok,
    ).toBe(true);
  });

  test("a quantity on a need without one is refused; none is always fine", () => {
    const none = { unit: null, remaining: null, step: null };
    expect(checkPledgeQuantity(none, { amount: "1", unit: "one" }, ok)).toMatchObject({
      ok: false,
      problem: "no-quantity-expected",
    });
    expect(checkPledgeQuantity(none, null, ok).ok).toBe(true);
    expect(checkPledgeQuantity(target, null, ok).ok).toBe(true);
  });
});

describe("accepting and rejecting responses", () => {
  test("partial pledges add up and an open need becomes pledged", () => {
    const first = acceptResponse(
      need(),
      response(),
      { quantity: { amount: "5", unit: "one" }, allowExcess: false },
      t1,
    );
    if (!first.ok) throw new Error(JSON.stringify(first.error));
    expect(first.proposal).toMatchObject({ status: "pledged", pledgedAmount: "5", updatedAt: t1 });
    expect(first.response).toMatchObject({ state: "accepted", acceptedAmount: "5" });

    const agreement = response({
      id: "response-2",
      source: "agreement",
      quantity: { amount: "10", unit: "one" },
    });
    const second = acceptResponse(
      first.proposal,
      agreement,
      // A coordinator's quantity never overrides what an agreement committed.
      { quantity: { amount: "1", unit: "one" }, allowExcess: false },
      t1,
    );
    if (!second.ok) throw new Error(JSON.stringify(second.error));
    expect(second.proposal.pledgedAmount).toBe("15");
    expect(coverageOf(second.proposal)?.remaining).toBe("5");
    // Two changes in one clock tick still get increasing `updated` times.
    expect(Temporal.Instant.compare(second.proposal.updatedAt, first.proposal.updatedAt)).toBe(1);
  });

  test("a pledge beyond what remains needs the coordinator's consent", () => {
    const proposal = need({ pledgedAmount: "18", status: "pledged" });
    const big = response({ source: "agreement", quantity: { amount: "5", unit: "one" } });
    const refused = acceptResponse(proposal, big, { quantity: null, allowExcess: false }, t1);
    expect(refused).toMatchObject({
      ok: false,
      error: { type: "quantity", problem: "exceeds-remaining" },
    });
    const allowed = acceptResponse(proposal, big, { quantity: null, allowExcess: true }, t1);
    expect(allowed.ok && allowed.proposal.pledgedAmount).toBe("23");
  });

  test("an answered response cannot be answered again", () => {
    const accepted = response({ state: "accepted" });
    expect(
      acceptResponse(need(), accepted, { quantity: null, allowExcess: false }, t1),
    ).toMatchObject({
      ok: false,
      error: { type: "already-answered", state: "accepted" },
    });
    expect(rejectResponse(accepted, null, t1)).toMatchObject({ ok: false });
  });

  test("an ended need takes no more pledges", () => {
    for (const status of ["fulfilled", "closed", "expired"] as const) {
      expect(
        acceptResponse(need({ status }), response(), { quantity: null, allowExcess: false }, t1),
      ).toMatchObject({ ok: false, error: { type: "proposal-ended", status } });
    }
  });

  test("rejecting keeps the reason and leaves the need alone", () => {
    const result = rejectResponse(response(), "Already covered", t1);
    expect(result).toMatchObject({
      ok: true,
      response: { state: "rejected", reason: "Already covered" },
    });
  });
});

describe("withdrawing an agreement", () => {
  const agreement = (overrides: Partial<Response> = {}) =>
    response({ source: "agreement", quantity: { amount: "5", unit: "one" }, ...overrides });

  test("a pending one just ends; the need does not move", () => {
    expect(withdrawResponse(need(), agreement(), 0, t1)).toMatchObject({
      ok: true,
      response: { state: "withdrawn", updatedAt: t1 },
      proposal: null,
    });
  });

  test("an accepted one gives its amount back, and a need left with nothing is open again", () => {
    const pledged = need({ status: "pledged", pledgedAmount: "15" });
    const accepted = agreement({ state: "accepted", acceptedAmount: "5" });
    expect(withdrawResponse(pledged, accepted, 1, t1)).toMatchObject({
      ok: true,
      proposal: { pledgedAmount: "10", status: "pledged", updatedAt: t1 },
    });
    const last = need({ status: "pledged", pledgedAmount: "5" });
    expect(withdrawResponse(last, accepted, 0, t1)).toMatchObject({
      proposal: { pledgedAmount: "0", status: "open" },
    });
    // Another accepted answer without a quantity still holds it pledged.
    expect(withdrawResponse(last, accepted, 1, t1)).toMatchObject({
      proposal: { pledgedAmount: "0", status: "pledged" },
    });
  });

  test("an ended need keeps the record it ended with", () => {
    const fulfilled = need({ status: "fulfilled", pledgedAmount: "5" });
    const accepted = agreement({ state: "accepted", acceptedAmount: "5" });
    expect(withdrawResponse(fulfilled, accepted, 0, t1)).toMatchObject({
      ok: true,
      proposal: null,
    });
    expect(withdrawResponse(null, accepted, 0, t1)).toMatchObject({ ok: true, proposal: null });
  });

  test("a declined or withdrawn one cannot be withdrawn again", () => {
    expect(withdrawResponse(need(), agreement({ state: "rejected" }), 0, t1)).toEqual({
      ok: false,
      state: "rejected",
    });
    expect(withdrawResponse(need(), agreement({ state: "withdrawn" }), 0, t1)).toEqual({
      ok: false,
      state: "withdrawn",
    });
  });
});

describe("a need's ending", () => {
  test("says how it ended", () => {
    expect(endingReason("request", "fulfilled")).toBe(
      "The need was fulfilled before this answer was accepted",
    );
    expect(endingReason("offer", "expired")).toBe(
      "The offer expired before this answer was accepted",
    );
  });
});
