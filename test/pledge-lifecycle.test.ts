import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

interface PledgeView {
  id: string;
  offerId: string;
  state: string;
  reason: string | null;
}

interface ResponseView {
  id: string;
  source: string;
  state: string;
  reason: string | null;
  actor: string | null;
}

/**
 * A pledge's whole life between two real instances: B's relief group follows
 * A's food group and pledges to A's needs. When a need ends (fulfilled,
 * closed, expired, deleted) the pledges still waiting are declined with the
 * reason and B is told; B withdraws pledges (Undo of the Offer), pending or
 * accepted, and A's need and B's copy give the amount back; forged
 * withdrawals and answers change nothing; and a need with accepted pledges
 * keeps its unit and at least what is pledged. A's clock is controllable.
 */
describe("a pledge's life across instances", () => {
  let a: TestInstance;
  let b: TestInstance;
  let mallory: RemoteActor;
  let tokenA: string;
  let tokenB: string;
  let now = Temporal.Now.instant();

  async function postNeed(title: string, extra: Record<string, unknown> = {}) {
    const res = await a.api(
      "POST",
      "/api/v1/groups/food/needs",
      { title, category: "medication", quantity: { amount: 20, unit: "one" }, ...extra },
      tokenA,
    );
    expect(res.status).toBe(201);
    const need = (await res.json()) as { id: string; objectId: string };
    await waitFor(`“${title}” on B`, () => networkItem(need.objectId));
    return need;
  }

  async function networkItem(objectId: string) {
    const res = await b.api("GET", "/api/v1/groups/relief/network", undefined, null);
    return (
      (await res.json()).items as {
        objectId: string;
        status: string;
        quantity: { remaining: number | null; pledged: number | null } | null;
      }[]
    ).find((i) => i.objectId === objectId);
  }

  async function pledgeOfB(id: string): Promise<PledgeView | undefined> {
    const res = await b.api("GET", "/api/v1/groups/relief/pledges", undefined, tokenB);
    return ((await res.json()).items as PledgeView[]).find((p) => p.id === id);
  }

  async function responsesOnA(needId: string): Promise<ResponseView[]> {
    const res = await a.api("GET", `/api/v1/needs/${needId}/responses`, undefined, tokenA);
    return (await res.json()).items;
  }

  async function needOnA(id: string) {
    return (await a.api("GET", `/api/v1/needs/${id}`, undefined, tokenA)).json();
  }

  /** B pledges and waits until A holds the agreement. */
  async function pledge(objectId: string, needId: string, amount: number) {
    const agreements = async () =>
      (await responsesOnA(needId)).filter((r) => r.source === "agreement");
    const before = (await agreements()).length;
    const res = await b.api(
      "POST",
      "/api/v1/groups/relief/pledges",
      { objectId, quantity: { amount, unit: "one" } },
      tokenB,
    );
    expect(res.status).toBe(201);
    const made = (await res.json()) as PledgeView;
    const all = (await waitFor("the pledge on A", async () => {
      const list = await agreements();
      return list.length > before ? list : null;
    }))!;
    return { pledge: made, response: all.at(-1)! };
  }

  async function notificationsOf(instance: TestInstance, group: string, token: string) {
    const res = await instance.api(
      "GET",
      `/api/v1/groups/${group}/notifications`,
      undefined,
      token,
    );
    return (await res.json()).items as { kind: string; subjectId: string; summary: string }[];
  }

  /** Every activity the inbox took has been handled: the queue is empty. */
  async function inboxSettled(instance: TestInstance) {
    await waitFor("the inbox queue drained", async () => {
      const rows = await instance.database.db.selectFrom("fedify_queue").select("id").execute();
      return rows.length === 0;
    });
  }

  beforeAll(async () => {
    [a, b, mallory] = await Promise.all([
      startTestInstance({
        host: "127.0.0.1",
        clock: () => now,
        jobs: { expirySweepIntervalMs: 100 },
      }),
      startTestInstance({ host: "127.0.0.2" }),
      startRemoteActor("127.0.0.3"),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    tokenA = (await (await a.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    tokenB = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    const follow = await (
      await b.api(
        "POST",
        "/api/v1/groups/relief/following",
        { account: `${a.config.origin.origin}/groups/food` },
        tokenB,
      )
    ).json();
    await waitFor("B's follow accepted", async () => {
      const list = (
        await (await b.api("GET", "/api/v1/groups/relief/following", undefined, tokenB)).json()
      ).items as { id: string; state: string }[];
      return list.find((f) => f.id === follow.id)?.state === "accepted";
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await mallory?.close();
  });

  const endings = [
    {
      name: "fulfilled",
      end: (id: string) => a.api("PATCH", `/api/v1/needs/${id}`, { status: "fulfilled" }, tokenA),
      reason: "The need was fulfilled before this answer was accepted",
    },
    {
      name: "closed",
      end: (id: string) => a.api("PATCH", `/api/v1/needs/${id}`, { status: "closed" }, tokenA),
      reason: "The need was closed before this answer was accepted",
    },
    {
      name: "deleted",
      end: (id: string) => a.api("DELETE", `/api/v1/needs/${id}`, undefined, tokenA),
      reason: "The need was deleted before this answer was accepted",
    },
  ] as const;

  for (const ending of endings) {
    it(`a need ${ending.name} declines the pledges still waiting, with the reason, and B is told`, async () => {
      const need = await postNeed(`Coolers, to be ${ending.name}`);
      const { pledge: waiting, response } = await pledge(need.objectId, need.id, 5);
      const local = await (
        await a.api("POST", `/api/v1/needs/${need.id}/responses`, { content: "I can drive" })
      ).json();
      const res = await ending.end(need.id);
      expect(res.status).toBeLessThan(300);
      await expect
        .poll(() => pledgeOfB(waiting.id), { timeout: 15_000 })
        .toMatchObject({ state: "rejected", reason: ending.reason });
      const notes = await notificationsOf(b, "relief", tokenB);
      expect(notes).toContainEqual(
        expect.objectContaining({
          kind: "pledge-answered",
          subjectId: waiting.id,
          summary: `Your pledge was declined: ${ending.reason}`,
        }),
      );
      if (ending.name !== "deleted") {
        // The answers page keeps the record: declined, with why.
        const answers = await responsesOnA(need.id);
        expect(answers.find((r) => r.id === response.id)).toMatchObject({
          state: "rejected",
          reason: ending.reason,
        });
        expect(answers.find((r) => r.id === local.id)).toMatchObject({
          state: "rejected",
          reason: ending.reason,
        });
      }
    });
  }

  it("a need that expires declines its waiting pledges too", async () => {
    const need = await postNeed("Coolers until tonight", {
      expiresAt: now.add({ minutes: 30 }).toString(),
    });
    const { pledge: waiting } = await pledge(need.objectId, need.id, 3);
    now = now.add({ hours: 1 });
    await expect
      .poll(async () => (await needOnA(need.id)).status, { timeout: 15_000 })
      .toBe("expired");
    const reason = "The need expired before this answer was accepted";
    await expect
      .poll(() => pledgeOfB(waiting.id), { timeout: 15_000 })
      .toMatchObject({ state: "rejected", reason });
    expect(await notificationsOf(b, "relief", tokenB)).toContainEqual(
      expect.objectContaining({ kind: "pledge-answered", subjectId: waiting.id }),
    );
  });

  it("B withdraws a pending and an accepted pledge; A's need and B's copy give the amount back", async () => {
    const need = await postNeed("Coolers for the clinic");
    const { pledge: pending, response: pendingOnA } = await pledge(need.objectId, need.id, 5);
    const { pledge: kept, response: keptOnA } = await pledge(need.objectId, need.id, 10);
    expect((await a.api("POST", `/api/v1/responses/${keptOnA.id}/accept`, {}, tokenA)).status).toBe(
      200,
    );
    await expect
      .poll(async () => (await networkItem(need.objectId))?.quantity, { timeout: 15_000 })
      .toMatchObject({ pledged: 10, remaining: 10 });
    await expect.poll(async () => (await pledgeOfB(kept.id))?.state).toBe("accepted");

    const first = await b.api(
      "POST",
      `/api/v1/groups/relief/pledges/${pending.id}/withdraw`,
      undefined,
      tokenB,
    );
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ id: pending.id, state: "withdrawn" });
    await expect
      .poll(async () => (await responsesOnA(need.id)).find((r) => r.id === pendingOnA.id)?.state, {
        timeout: 15_000,
      })
      .toBe("withdrawn");
    expect((await needOnA(need.id)).quantity).toMatchObject({ pledged: 10, remaining: 10 });

    const second = await b.api(
      "POST",
      `/api/v1/groups/relief/pledges/${kept.id}/withdraw`,
      undefined,
      tokenB,
    );
    expect(second.status).toBe(200);
    await expect
      .poll(async () => (await needOnA(need.id)).quantity, { timeout: 15_000 })
      .toMatchObject({ pledged: 0, remaining: 20 });
    expect((await needOnA(need.id)).status).toBe("open");
    expect((await responsesOnA(need.id)).find((r) => r.id === keptOnA.id)?.state).toBe("withdrawn");
    // B's copy follows through the need's Update.
    await expect
      .poll(async () => networkItem(need.objectId), { timeout: 15_000 })
      .toMatchObject({ status: "open", quantity: { pledged: 0, remaining: 20 } });
    expect(await notificationsOf(a, "food", tokenA)).toContainEqual(
      expect.objectContaining({
        kind: "response",
        subjectId: keptOnA.id,
        summary: expect.stringContaining("withdrew its pledge to “Coolers for the clinic”"),
      }),
    );

    // Over is over: a second withdrawal is refused, and another group's pledge is not found.
    const again = await b.api(
      "POST",
      `/api/v1/groups/relief/pledges/${kept.id}/withdraw`,
      undefined,
      tokenB,
    );
    expect(again.status).toBe(409);
    expect((await again.json()).message).toMatch(/withdrawn/);
    await b.api("POST", "/api/v1/groups", { handle: "other", name: "Other" });
    const tokenOther = (await (await b.api("POST", "/api/v1/groups/other/tokens")).json()).token;
    const foreign = await b.api(
      "POST",
      `/api/v1/groups/other/pledges/${kept.id}/withdraw`,
      undefined,
      tokenOther,
    );
    expect(foreign.status).toBe(404);
  });

  it("an Undo of B's Offer sent by anyone else changes nothing", async () => {
    const need = await postNeed("Coolers for the school");
    const { pledge: made, response } = await pledge(need.objectId, need.id, 4);
    await a.api("POST", `/api/v1/responses/${response.id}/accept`, {}, tokenA);
    expect((await needOnA(need.id)).quantity).toMatchObject({ pledged: 4 });
    const forged = await mallory.postSigned(new URL("/groups/food/inbox", a.config.origin), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${mallory.actorId.href}/forged-undo`,
      type: "Undo",
      actor: mallory.actorId.href,
      object: made.offerId,
    });
    expect(forged.status).toBe(202);
    await inboxSettled(a);
    expect((await responsesOnA(need.id)).find((r) => r.id === response.id)?.state).toBe("accepted");
    expect((await needOnA(need.id)).quantity).toMatchObject({ pledged: 4, remaining: 16 });
  });

  it("an Offer handled after its own Undo is not taken as a live pledge", async () => {
    const need = await postNeed("Coolers for the ferry");
    const inbox = new URL("/groups/food/inbox", a.config.origin);
    const offer = (id: string) => ({
      "@context": [
        "https://www.w3.org/ns/activitystreams",
        {
          vf: "https://w3id.org/valueflows/ont/vf#",
          om2: "http://www.ontology-of-units-of-measure.org/resource/om-2/",
          Agreement: "vf:Agreement",
          Commitment: "vf:Commitment",
          stipulates: "vf:stipulates",
          satisfies: { "@id": "vf:satisfies", "@type": "@id" },
          resourceQuantity: "vf:resourceQuantity",
          hasUnit: "om2:hasUnit",
          hasNumericalValue: "om2:hasNumericalValue",
        },
      ],
      id: `${mallory.actorId.href}/offers/${id}`,
      type: "Offer",
      actor: mallory.actorId.href,
      to: `${a.config.origin.origin}/groups/food`,
      object: {
        type: "Agreement",
        stipulates: {
          type: "Commitment",
          satisfies: `${need.objectId}#primary`,
          resourceQuantity: { hasUnit: "one", hasNumericalValue: "3" },
        },
      },
    });
    const undo = (actor: URL, id: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${actor.href}/undo/${id}`,
      type: "Undo",
      actor: actor.href,
      object: `${mallory.actorId.href}/offers/${id}`,
    });
    // The withdrawal of "early-undo" is handled before its Offer arrives.
    expect((await mallory.postSigned(inbox, undo(mallory.actorId, "early-undo"))).status).toBe(202);
    await inboxSettled(a);
    for (const id of ["early-undo", "kept"]) {
      expect((await mallory.postSigned(inbox, offer(id))).status).toBe(202);
    }
    await inboxSettled(a);
    const activityIds = (await responsesOnA(need.id)).map((r) => r.actor);
    // The Offer never withdrawn is stored; the withdrawn one is not.
    expect(activityIds).toEqual([mallory.actorId.href]);
    const stored = await a.database.db
      .selectFrom("responses")
      .select("activity_id")
      .where("actor_id", "=", mallory.actorId.href)
      .execute();
    expect(stored.map((r) => r.activity_id)).toContain(`${mallory.actorId.href}/offers/kept`);
    expect(stored.map((r) => r.activity_id)).not.toContain(
      `${mallory.actorId.href}/offers/early-undo`,
    );
  });

  it("a Reject of B's pledge sent by anyone but the need's author changes nothing", async () => {
    const need = await postNeed("Coolers for the port");
    const { pledge: made } = await pledge(need.objectId, need.id, 2);
    const forged = await mallory.postSigned(new URL("/inbox", b.config.origin), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${mallory.actorId.href}/forged-reject`,
      type: "Reject",
      actor: mallory.actorId.href,
      object: made.offerId,
      content: "Not wanted",
    });
    expect(forged.status).toBe(202);
    await inboxSettled(b);
    expect(await pledgeOfB(made.id)).toMatchObject({ state: "pending", reason: null });
    expect(
      (await notificationsOf(b, "relief", tokenB)).filter((n) => n.subjectId === made.id),
    ).toEqual([]);
  });

  describe("a need with accepted pledges keeps its unit and at least what is pledged", () => {
    let need: { id: string; objectId: string };

    beforeAll(async () => {
      need = await postNeed("Coolers for the shelter");
      const { response } = await pledge(need.objectId, need.id, 5);
      const res = await a.api("POST", `/api/v1/responses/${response.id}/accept`, {}, tokenA);
      expect(res.status).toBe(200);
    });

    it("the API answers 409 with the reason and changes nothing", async () => {
      const unit = await a.api(
        "PATCH",
        `/api/v1/needs/${need.id}`,
        { quantity: { amount: 20, unit: "kilogram" } },
        tokenA,
      );
      expect(unit.status).toBe(409);
      expect(await unit.json()).toMatchObject({
        error: "conflict",
        message: "Accepted pledges cover 5 in this unit (one); it cannot change",
        details: { problem: "unit-locked", pledged: { amount: 5, unit: "one" } },
      });
      const lower = await a.api(
        "PATCH",
        `/api/v1/needs/${need.id}`,
        { quantity: { amount: 4, unit: "one" } },
        tokenA,
      );
      expect(lower.status).toBe(409);
      expect(await lower.json()).toMatchObject({
        message: "Accepted pledges cover 5; the quantity cannot go below that",
        details: { problem: "below-pledged" },
      });
      const removed = await a.api("PATCH", `/api/v1/needs/${need.id}`, { quantity: null }, tokenA);
      expect(removed.status).toBe(409);
      expect((await needOnA(need.id)).quantity).toEqual({
        amount: 20,
        unit: "one",
        pledged: 5,
        remaining: 15,
      });
      // Down to exactly what is pledged is fine.
      const exact = await a.api(
        "PATCH",
        `/api/v1/needs/${need.id}`,
        { quantity: { amount: 5, unit: "one" } },
        tokenA,
      );
      expect(exact.status).toBe(200);
      expect((await exact.json()).quantity).toMatchObject({ amount: 5, pledged: 5, remaining: 0 });
    });

    it("the workspace form says the same next to the field, keeping the input", async () => {
      const invitation = await (
        await a.api("POST", "/api/v1/admin/invitations", { group: "food" })
      ).json();
      const signedIn = await postForm(new URL(invitation.url), {
        username: "ana",
        password: "a long passphrase",
        passwordAgain: "a long passphrase",
      });
      const cookie = [signedIn.headers["set-cookie"] ?? []]
        .flat()
        .find((c) => c.startsWith("session="))!
        .split(";")[0]!;
      const path = `/workspace/groups/food/posts/${need.id}/edit`;
      const page = await (
        await fetch(new URL(path, a.config.origin), { headers: { cookie } })
      ).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
      const fields = {
        _csrf: csrf,
        title: "Coolers for the shelter",
        description: "",
        category: "medication",
        quantityAmount: "5",
        quantityUnit: "one",
        place: "",
        urgency: "normal",
        neededBy: "",
        contact: "",
        audience: "public",
        incident: "",
      };
      const unit = await postForm(
        new URL(path, a.config.origin),
        { ...fields, quantityUnit: "kilogram" },
        { cookie },
      );
      expect(unit.status).toBe(409);
      expect(unit.body).toContain(
        'id="f-quantityUnit-error">Pledges were accepted in this unit, so it cannot change.',
      );
      expect(unit.body).toContain("Accepted pledges cover 5");
      const lower = await postForm(
        new URL(path, a.config.origin),
        { ...fields, quantityAmount: "3" },
        { cookie },
      );
      expect(lower.status).toBe(409);
      expect(lower.body).toContain(
        'id="f-quantityAmount-error">Accepted pledges already cover more than this; keep at least what is pledged.',
      );
      expect(lower.body).toContain('value="3"');
      expect((await needOnA(need.id)).quantity).toMatchObject({ amount: 5, unit: "one" });
    });
  });
});
