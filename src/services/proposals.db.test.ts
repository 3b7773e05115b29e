import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { findProposal } from "../db/proposals.repo.ts";
import type { Group } from "../domain/group.ts";
import type { Proposal, ProposalDraft } from "../domain/proposal.ts";
import { createGroup } from "./groups.ts";
import type { ProposalPublisher } from "./ports.ts";
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
});
