import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { findProposal } from "../db/proposals.repo.ts";
import { findResponse, insertResponse } from "../db/responses.repo.ts";
import type { Group } from "../domain/group.ts";
import type { Proposal, ProposalDraft } from "../domain/proposal.ts";
import type { Response } from "../domain/response.ts";
import { createGroup } from "./groups.ts";
import { relayPendingMessages } from "./message-relay.ts";
import type { ConversationGateway, ProposalPublisher } from "./ports.ts";
import {
  createProposal,
  deleteProposal,
  editProposal,
  expireDueProposals,
  relayPendingActivities,
} from "./proposals.ts";

const draft: ProposalDraft = {
  title: "Drinking water",
  description: "",
  category: "water",
  quantity: { amount: "200", unit: "litre" },
  location: null,
  urgency: "critical",
  expiresAt: null,
  audience: "public",
  contact: "private",
};

/** Records what would be federated; can be told to fail like a broken queue. */
function recordingPublisher() {
  const calls: string[] = [];
  let failing = false;
  const record = (kind: string) => async (_g: Group, p: Proposal) => {
    if (failing) throw new Error("queue unavailable");
    calls.push(`${kind}:${p.id}:${p.status}`);
  };
  const publisher: ProposalPublisher = {
    created: record("created"),
    updated: record("updated"),
    deleted: record("deleted"),
  };
  const fail = (value: boolean): void => {
    failing = value;
  };
  return { publisher, calls, fail };
}

describe(`proposal services (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let group: Group;
  let now: Temporal.Instant;
  const clock = () => now;

  beforeAll(async () => {
    handle = await createTestDatabase();
    now = Temporal.Instant.from("2026-11-28T08:00:00Z");
    const keys = { generate: async () => [] };
    const result = await createGroup(
      { db: handle.db, keys, clock },
      {
        handle: "water",
        name: "Water brigade",
        summary: "",
        followPolicy: "open",
      },
    );
    if (!result.ok) throw new Error("group not created");
    group = result.group;
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(() => {
    now = now.add({ minutes: 1 });
  });

  const pending = async () =>
    (await handle.db.selectFrom("pending_activities").selectAll().execute()).length;

  it("federates each change once, in order, and leaves no outbox rows", async () => {
    const { publisher, calls } = recordingPublisher();
    const deps = { db: handle.db, publisher, clock };
    const created = await createProposal(deps, group, "request", draft);
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    now = now.add({ minutes: 1 });
    const edited = await editProposal(deps, created.proposal, { status: "pledged" });
    expect(edited.ok).toBe(true);
    if (!edited.ok) return;
    expect(await deleteProposal(deps, edited.proposal)).toBe(true);
    const id = created.proposal.id;
    expect(calls).toEqual([`created:${id}:open`, `updated:${id}:pledged`, `deleted:${id}:pledged`]);
    expect(await pending()).toBe(0);
  });

  it("keeps a change whose delivery could not be queued, and sends it on the next relay", async () => {
    const { publisher, calls, fail } = recordingPublisher();
    const deps = { db: handle.db, publisher, clock };
    fail(true);
    // The coordinator's request succeeds: the need is committed...
    const created = await createProposal(deps, group, "offer", draft);
    expect(created.ok).toBe(true);
    // ...and its delivery is still owed.
    expect(await pending()).toBe(1);
    fail(false);
    await relayPendingActivities(deps);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^created:/);
    expect(await pending()).toBe(0);
  });

  it("refuses an edit based on a stale read", async () => {
    const { publisher } = recordingPublisher();
    const deps = { db: handle.db, publisher, clock };
    const created = await createProposal(deps, group, "request", draft);
    if (!created.ok) throw new Error("not created");
    now = now.add({ minutes: 1 });
    const first = await editProposal(deps, created.proposal, { title: "First edit" });
    expect(first.ok).toBe(true);
    const second = await editProposal(deps, created.proposal, { title: "Second edit" });
    expect(second).toEqual({ ok: false, error: { type: "conflict" } });
    const stored = await findProposal(handle.db, created.proposal.id);
    expect(stored.state === "live" && stored.proposal.title).toBe("First edit");
  });

  it("expires needs whose expiry has passed, by the clock, and federates it", async () => {
    const { publisher, calls } = recordingPublisher();
    const deps = { db: handle.db, publisher, clock };
    const soon = await createProposal(deps, group, "request", {
      ...draft,
      expiresAt: now.add({ hours: 2 }),
    });
    const later = await createProposal(deps, group, "request", {
      ...draft,
      expiresAt: now.add({ hours: 72 }),
    });
    if (!soon.ok || !later.ok) throw new Error("not created");
    calls.length = 0;
    now = now.add({ hours: 1 });
    expect(await expireDueProposals(deps)).toBe(0);
    now = now.add({ hours: 2 });
    expect(await expireDueProposals(deps)).toBe(1);
    expect(calls).toEqual([`updated:${soon.proposal.id}:expired`]);
    const expired = await findProposal(handle.db, soon.proposal.id);
    expect(expired.state === "live" && expired.proposal.status).toBe("expired");
    const open = await findProposal(handle.db, later.proposal.id);
    expect(open.state === "live" && open.proposal.status).toBe("open");
    // An expired need stays expired: the sweep does not touch it again.
    expect(await expireDueProposals(deps)).toBe(0);
  });

  describe("an ending declines the answers still waiting, and the Rejects survive a crash", () => {
    function answer(proposal: Proposal, n: number, overrides: Partial<Response>): Response {
      return {
        id: `0193a000-0000-7000-8000-${String(n).padStart(12, "0")}`,
        proposalId: proposal.id,
        source: "agreement",
        actorId: "https://b.example/groups/relief",
        actorInboxUrl: "https://b.example/groups/relief/inbox",
        actorName: "@relief@b.example",
        activityId: `https://b.example/pledges/${n}#offer`,
        content: "",
        quantity: { amount: "5", unit: "litre" },
        acceptedAmount: null,
        contact: null,
        state: "proposed",
        reason: null,
        agreementId: null,
        remoteUpdatedAt: null,
        createdAt: now,
        updatedAt: now,
        ...overrides,
      };
    }

    /** Records the Rejects; can fail like a queue that is down (or a process that died). */
    function recordingConversations() {
      const rejected: string[] = [];
      let failing = false;
      const conversations: ConversationGateway = {
        responseAccepted: async () => {},
        responseRejected: async (_g, _p, r) => {
          if (failing) throw new Error("queue unavailable");
          rejected.push(`${r.id}:${r.reason}`);
        },
        pledge: async () => {},
        pledgeWithdrawn: async () => {},
      };
      const fail = (value: boolean): void => {
        failing = value;
      };
      return { conversations, rejected, fail };
    }

    const outbox = async () =>
      (await handle.db.selectFrom("pending_messages").select("kind").execute()).map((r) => r.kind);

    let n = 0;
    for (const [ending, end] of [
      [
        "fulfilled",
        (deps: Parameters<typeof editProposal>[0], p: Proposal) =>
          editProposal(deps, p, { status: "fulfilled" }),
      ],
      [
        "deleted",
        (deps: Parameters<typeof deleteProposal>[0], p: Proposal) => deleteProposal(deps, p),
      ],
      [
        "expired",
        async (deps: Parameters<typeof expireDueProposals>[0]) => {
          now = now.add({ hours: 48 });
          return expireDueProposals(deps);
        },
      ],
    ] as const) {
      it(`${ending}: declined with the reason in the ending's transaction`, async () => {
        const { publisher } = recordingPublisher();
        const { conversations, rejected, fail } = recordingConversations();
        const deps = { db: handle.db, publisher, clock, conversations };
        const created = await createProposal(deps, group, "request", {
          ...draft,
          expiresAt: now.add({ hours: 24 }),
        });
        if (!created.ok) throw new Error("not created");
        const waiting = answer(created.proposal, ++n, {});
        const local = answer(created.proposal, ++n, {
          source: "local",
          actorId: null,
          actorInboxUrl: null,
          actorName: null,
          activityId: null,
          quantity: null,
        });
        const taken = answer(created.proposal, ++n, { state: "accepted", acceptedAmount: "5" });
        for (const r of [waiting, local, taken]) await insertResponse(handle.db, r);
        fail(true);
        await end(deps, created.proposal);
        const reason = `The need ${ending === "expired" ? "expired" : `was ${ending}`} before this answer was accepted`;
        expect(await findResponse(handle.db, waiting.id)).toMatchObject({
          state: "rejected",
          reason,
        });
        expect(await findResponse(handle.db, local.id)).toMatchObject({
          state: "rejected",
          reason,
        });
        expect(await findResponse(handle.db, taken.id)).toMatchObject({ state: "accepted" });
        // The Reject could not be queued: it waits in the outbox, for the agreement only.
        expect(await outbox()).toEqual(["response-rejected"]);
        expect(rejected).toEqual([]);
        fail(false);
        await relayPendingMessages(deps);
        expect(rejected).toEqual([`${waiting.id}:${reason}`]);
        expect(await outbox()).toEqual([]);
      });
    }
  });
});
