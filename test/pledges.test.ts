import { Reject } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

interface NetworkItem {
  objectId: string;
  status: string;
  quantity: { amount: number; unit: string; remaining: number | null; pledged: number | null };
}

/**
 * Pledges between two real instances (FEP-0837): B's relief group follows A's
 * food group, sees A's need, and pledges part of it with Offer(Agreement);
 * A's coordinator accepts or rejects; both sides and B's copy of the need
 * converge. A third, plain-Fedify server sends the malformed and forged
 * variants. A's clock is controllable, for expiry.
 */
describe("pledges between instances", () => {
  let a: TestInstance;
  let b: TestInstance;
  let mallory: RemoteActor;
  let tokenA: string;
  let tokenB: string;
  let need: { id: string; objectId: string };
  let now = Temporal.Now.instant();

  async function networkItem(objectId: string): Promise<NetworkItem | undefined> {
    const res = await b.api("GET", "/api/v1/groups/relief/network", undefined, null);
    return ((await res.json()).items as NetworkItem[]).find((i) => i.objectId === objectId);
  }

  async function pledgesOfB(): Promise<
    {
      id: string;
      offerId: string;
      state: string;
      reason: string | null;
      agreementId: string | null;
    }[]
  > {
    return (await (await b.api("GET", "/api/v1/groups/relief/pledges", undefined, tokenB)).json())
      .items;
  }

  async function responsesOnA(): Promise<
    {
      id: string;
      source: string;
      quantity: { amount: number } | null;
      state: string;
      actor: string;
    }[]
  > {
    return (
      await (await a.api("GET", `/api/v1/needs/${need.id}/responses`, undefined, tokenA)).json()
    ).items;
  }

  async function needOnA() {
    return (await a.api("GET", `/api/v1/needs/${need.id}`)).json();
  }

  function pledge(body: Record<string, unknown>) {
    return b.api("POST", "/api/v1/groups/relief/pledges", body, tokenB);
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
    need = await (
      await a.api(
        "POST",
        "/api/v1/groups/food/needs",
        {
          title: "20 insulin coolers",
          category: "medication",
          quantity: { amount: 20, unit: "one" },
          expiresAt: now.add({ hours: 48 }).toString(),
          contact: "Ana, +63 917 555 0101",
        },
        tokenA,
      )
    ).json();
    await waitFor("the need on B", () => networkItem(need.objectId));
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await mallory?.close();
  });

  it("B sees A's need with what is still needed", async () => {
    expect(await networkItem(need.objectId)).toMatchObject({
      status: "open",
      quantity: { amount: 20, unit: "one", remaining: 20, pledged: 0 },
    });
  });

  it("refuses a pledge with the wrong unit, a non-number or more than is needed, storing nothing", async () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ objectId: need.objectId, quantity: { amount: 3, unit: "kilogram" } }, 422],
      [{ objectId: need.objectId, quantity: { amount: 1.5, unit: "one" } }, 422],
      [{ objectId: need.objectId, quantity: { amount: 21, unit: "one" } }, 422],
      [{ objectId: need.objectId, quantity: { amount: -2, unit: "one" } }, 400],
      [{ objectId: need.objectId, quantity: { amount: "ten", unit: "one" } }, 400],
      [
        { objectId: "https://nowhere.example/objects/1", quantity: { amount: 1, unit: "one" } },
        404,
      ],
    ];
    for (const [body, status] of cases) {
      const res = await pledge(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect((await res.json()).message).toEqual(expect.any(String));
    }
    expect(await pledgesOfB()).toEqual([]);
  });

  let firstPledge: { id: string; offerId: string };

  it("a pledge reaches A as an agreement response, with a notification", async () => {
    const res = await pledge({
      objectId: need.objectId,
      quantity: { amount: 10, unit: "one" },
      message: "We have 10 coolers in our depot",
    });
    expect(res.status).toBe(201);
    firstPledge = await res.json();
    expect(firstPledge).toMatchObject({ state: "pending", quantity: { amount: 10, unit: "one" } });
    await expect.poll(responsesOnA, { timeout: 15_000 }).toHaveLength(1);
    expect((await responsesOnA())[0]).toMatchObject({
      source: "agreement",
      actor: `${b.config.origin.origin}/groups/relief`,
      quantity: { amount: 10, unit: "one" },
      content: "We have 10 coolers in our depot",
      state: "proposed",
    });
    const notes = await (
      await a.api("GET", "/api/v1/groups/food/notifications", undefined, tokenA)
    ).json();
    expect(notes.items.map((n: { kind: string }) => n.kind)).toContain("response");
  });

  it("accepting it moves the need on both instances and tells B", async () => {
    const response = (await responsesOnA())[0]!;
    const res = await a.api("POST", `/api/v1/responses/${response.id}/accept`, {}, tokenA);
    expect(res.status).toBe(200);
    expect((await needOnA()).quantity).toEqual({
      amount: 20,
      unit: "one",
      pledged: 10,
      remaining: 10,
    });
    await expect
      .poll(async () => (await pledgesOfB()).find((p) => p.id === firstPledge.id)?.state, {
        timeout: 15_000,
      })
      .toBe("accepted");
    const accepted = (await pledgesOfB()).find((p) => p.id === firstPledge.id)!;
    expect(accepted.agreementId).toBe(`${a.config.origin.origin}/agreements/${response.id}`);
    await expect
      .poll(async () => (await networkItem(need.objectId))?.quantity, { timeout: 15_000 })
      .toEqual({ amount: 20, unit: "one", remaining: 10, pledged: 10 });
    expect((await networkItem(need.objectId))?.status).toBe("pledged");
    const notes = await (
      await b.api("GET", "/api/v1/groups/relief/notifications", undefined, tokenB)
    ).json();
    expect(notes.items[0]).toMatchObject({ kind: "pledge-answered", subjectId: firstPledge.id });
  });

  it("partial pledges add up, and a declined one says why", async () => {
    const second = await (
      await pledge({ objectId: need.objectId, quantity: { amount: 6, unit: "one" } })
    ).json();
    const third = await (
      await pledge({ objectId: need.objectId, quantity: { amount: 4, unit: "one" } })
    ).json();
    await expect.poll(async () => (await responsesOnA()).length, { timeout: 15_000 }).toBe(3);
    const [, r2, r3] = await responsesOnA();
    const acceptedSecond = await a.api("POST", `/api/v1/responses/${r2!.id}/accept`, {}, tokenA);
    expect(acceptedSecond.status).toBe(200);
    const declined = await a.api(
      "POST",
      `/api/v1/responses/${r3!.id}/reject`,
      { reason: "Covered by another group" },
      tokenA,
    );
    expect(declined.status).toBe(200);
    expect((await needOnA()).quantity).toMatchObject({ pledged: 16, remaining: 4 });
    await expect
      .poll(
        async () => {
          const list = await pledgesOfB();
          return [list.find((p) => p.id === second.id)?.state, list.find((p) => p.id === third.id)];
        },
        { timeout: 15_000 },
      )
      .toEqual([
        "accepted",
        expect.objectContaining({ state: "rejected", reason: "Covered by another group" }),
      ]);
    await expect
      .poll(async () => (await networkItem(need.objectId))?.quantity.remaining, { timeout: 15_000 })
      .toBe(4);
  });

  it("beyond what is still needed, only with the coordinator's consent", async () => {
    const big = await pledge({
      objectId: need.objectId,
      quantity: { amount: 6, unit: "one" },
      allowExcess: true,
    });
    expect(big.status).toBe(201);
    await expect.poll(async () => (await responsesOnA()).length, { timeout: 15_000 }).toBe(4);
    const r4 = (await responsesOnA())[3]!;
    const refused = await a.api("POST", `/api/v1/responses/${r4.id}/accept`, {}, tokenA);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      error: "unprocessable",
      details: { problem: "exceeds-remaining" },
    });
    expect((await needOnA()).quantity).toMatchObject({ pledged: 16 });
    const allowed = await a.api(
      "POST",
      `/api/v1/responses/${r4.id}/accept`,
      { allowExcess: true },
      tokenA,
    );
    expect(allowed.status).toBe(200);
    expect((await needOnA()).quantity).toMatchObject({ pledged: 22, remaining: 0 });
  });

  it("answers a malformed Offer with Reject and a reason, storing nothing", async () => {
    const before = (await responsesOnA()).length;
    const offer = (id: string, quantity: unknown, satisfies = `${need.objectId}#primary`) => ({
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
        stipulates: { type: "Commitment", satisfies, resourceQuantity: quantity },
      },
    });
    const inbox = new URL("/groups/food/inbox", a.config.origin);
    for (const [id, quantity] of [
      ["wrong-unit", { hasUnit: "kilogram", hasNumericalValue: "2" }],
      ["negative", { hasUnit: "one", hasNumericalValue: "-3" }],
      ["fraction", { hasUnit: "one", hasNumericalValue: "0.5" }],
    ] as const) {
      expect((await mallory.postSigned(inbox, offer(id, quantity))).status).toBe(202);
    }
    await expect
      .poll(() => mallory.received.filter((r) => r.activity instanceof Reject).length, {
        timeout: 15_000,
      })
      .toBe(3);
    for (const { json } of mallory.received.filter((r) => r.activity instanceof Reject)) {
      expect(String(json.object)).toMatch(/\/offers\/(wrong-unit|negative|fraction)$/);
      expect(json.content).toEqual(expect.any(String));
    }
    // Not a decimal at all: the signature is good, so it is queued (202, as
    // Mastodon answers), and the worker drops it unread: no response, no
    // Reject, no retry. The good Offer below is stored alone.
    const unreadable = await mallory.postSigned(
      inbox,
      offer("not-a-number", { hasUnit: "one", hasNumericalValue: "lots" }),
    );
    expect(unreadable.status).toBe(202);
    // An Offer for a need that does not exist is ignored.
    await mallory.postSigned(
      inbox,
      offer(
        "unknown",
        { hasUnit: "one", hasNumericalValue: "1" },
        `${a.config.origin.origin}/objects/0193a000-0000-7000-8000-00000000dead#primary`,
      ),
    );
    // A good one afterwards shows the others have been processed.
    await mallory.postSigned(inbox, offer("good", { hasUnit: "one", hasNumericalValue: "1" }));
    await expect
      .poll(async () => (await responsesOnA()).length, { timeout: 15_000 })
      .toBe(before + 1);
    expect((await responsesOnA()).at(-1)).toMatchObject({
      actor: mallory.actorId.href,
      quantity: { amount: 1, unit: "one" },
    });
    // Nothing is left to retry: the unreadable Offer was dropped, not failed.
    await expect
      .poll(
        async () => (await a.database.db.selectFrom("fedify_queue").select("id").execute()).length,
        {
          timeout: 15_000,
        },
      )
      .toBe(0);
  });

  it("ignores an answer to B's pledge from anyone but the proposer", async () => {
    const pending = await (
      await pledge({
        objectId: need.objectId,
        quantity: { amount: 1, unit: "one" },
        allowExcess: true,
      })
    ).json();
    await mallory.postSigned(new URL("/inbox", b.config.origin), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${mallory.actorId.href}/forged-accept`,
      type: "Accept",
      actor: mallory.actorId.href,
      object: pending.offerId,
    });
    // A's own answer, processed after the forgery, is the one that counts.
    await expect.poll(async () => (await responsesOnA()).length, { timeout: 15_000 }).toBe(6);
    const last = (await responsesOnA()).at(-1)!;
    await a.api(
      "POST",
      `/api/v1/responses/${last.id}/reject`,
      { reason: "Enough, thanks" },
      tokenA,
    );
    await expect
      .poll(async () => (await pledgesOfB()).find((p) => p.id === pending.id), { timeout: 15_000 })
      .toMatchObject({ state: "rejected", reason: "Enough, thanks" });
  });

  it("expires on A's schedule, and B's copy says so", async () => {
    const short = await (
      await a.api(
        "POST",
        "/api/v1/groups/food/needs",
        {
          title: "Generator for the shelter",
          category: "utilities",
          expiresAt: now.add({ minutes: 30 }).toString(),
        },
        tokenA,
      )
    ).json();
    await waitFor("the generator need on B", () => networkItem(short.objectId));
    now = now.add({ hours: 1 });
    await expect
      .poll(async () => (await (await a.api("GET", `/api/v1/needs/${short.id}`)).json()).status, {
        timeout: 15_000,
      })
      .toBe("expired");
    await expect
      .poll(async () => (await networkItem(short.objectId))?.status, { timeout: 15_000 })
      .toBe("expired");
    const pledgeLate = await pledge({ objectId: short.objectId });
    expect(pledgeLate.status).toBe(409);
  });

  it("an ended need is reopened under a new id that links back to it", async () => {
    const fulfilled = await a.api(
      "PATCH",
      `/api/v1/needs/${need.id}`,
      { status: "fulfilled" },
      tokenA,
    );
    expect(fulfilled.status).toBe(200);
    const reopened = await a.api(
      "POST",
      `/api/v1/needs/${need.id}/reopen`,
      { expiresAt: now.add({ hours: 24 }).toString() },
      tokenA,
    );
    expect(reopened.status).toBe(201);
    const fresh = await reopened.json();
    expect(fresh.id).not.toBe(need.id);
    expect(fresh).toMatchObject({
      status: "open",
      previousId: need.id,
      quantity: { amount: 20, pledged: 0, remaining: 20 },
      contact: "Ana, +63 917 555 0101",
    });
    const object = (await mallory.fetchJson(fresh.objectId)).json as Record<string, unknown>;
    expect(object.continues).toBe(need.objectId);
    const again = await a.api("POST", `/api/v1/needs/${fresh.id}/reopen`, {}, tokenA);
    expect(again.status).toBe(409);
    await expect
      .poll(async () => (await networkItem(need.objectId))?.status, { timeout: 15_000 })
      .toBe("fulfilled");
  });
});
