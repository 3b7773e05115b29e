import { Accept, Reject } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";

/** Two real instances on two loopback addresses, each with its own database. */
describe("groups following groups across instances", () => {
  let a: TestInstance;
  let b: TestInstance;
  let person: RemoteActor;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    [a, b, person] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startRemoteActor("127.0.0.3"),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await b.api("POST", "/api/v1/groups", {
      handle: "medics",
      name: "City B Medics",
      followPolicy: "approval",
    });
    await b.api("POST", "/api/v1/groups", { handle: "water", name: "City B Water" });
    tokenA = (await (await a.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    tokenB = (await (await b.api("POST", "/api/v1/groups/medics/tokens")).json()).token;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), person?.close()]);
  });

  const actor = (instance: TestInstance, handle: string) =>
    `${instance.config.origin.origin}/groups/${handle}`;
  const followingOf = async () =>
    (await (await a.api("GET", "/api/v1/groups/food/following", undefined, tokenA)).json()).items;

  it("follows an open group and is accepted", async () => {
    const res = await a.api(
      "POST",
      "/api/v1/groups/food/following",
      { account: actor(b, "water") },
      tokenA,
    );
    expect(res.status).toBe(202);
    const following = await res.json();
    expect(following).toMatchObject({ actorId: actor(b, "water"), state: "pending" });
    await expect
      .poll(
        async () => (await followingOf()).find((f: { id: string }) => f.id === following.id)?.state,
        { timeout: 15_000 },
      )
      .toBe("accepted");
    const bToken = (await (await b.api("POST", "/api/v1/groups/water/tokens")).json()).token;
    const followers = await (
      await b.api("GET", "/api/v1/groups/water/followers", undefined, bToken)
    ).json();
    expect(followers.items.map((f: { actorId: string }) => f.actorId)).toEqual([actor(a, "food")]);
  });

  it("waits for a coordinator when the group approves followers by hand, then accepts", async () => {
    const res = await a.api(
      "POST",
      "/api/v1/groups/food/following",
      { account: actor(b, "medics") },
      tokenA,
    );
    const following = await res.json();
    let requests: { id: string; actorId: string }[] = [];
    await expect
      .poll(
        async () => {
          requests = (
            await (
              await b.api("GET", "/api/v1/groups/medics/follow-requests", undefined, tokenB)
            ).json()
          ).items;
          return requests.length;
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    expect(requests[0]!.actorId).toBe(actor(a, "food"));
    const state = async () =>
      (await followingOf()).find((f: { id: string }) => f.id === following.id)?.state;
    expect(await state()).toBe("pending");
    const accepted = await b.api(
      "POST",
      `/api/v1/groups/medics/follow-requests/${requests[0]!.id}/accept`,
      undefined,
      tokenB,
    );
    expect(accepted.status).toBe(200);
    await expect.poll(state, { timeout: 15_000 }).toBe("accepted");
    // Answering twice finds nothing left to answer.
    const again = await b.api(
      "POST",
      `/api/v1/groups/medics/follow-requests/${requests[0]!.id}/accept`,
      undefined,
      tokenB,
    );
    expect(again.status).toBe(404);
  });

  it("tells a rejected requester, and keeps nothing of the request", async () => {
    const follow = await person.follow({
      id: new URL(actor(b, "medics")),
      inbox: new URL(`${actor(b, "medics")}/inbox`),
    });
    let requestId = "";
    await expect
      .poll(
        async () => {
          const items = (
            await (
              await b.api("GET", "/api/v1/groups/medics/follow-requests", undefined, tokenB)
            ).json()
          ).items;
          requestId =
            items.find((r: { actorId: string }) => r.actorId === person.actorId.href)?.id ?? "";
          return requestId;
        },
        { timeout: 15_000 },
      )
      .not.toBe("");
    expect(
      (
        await b.api(
          "POST",
          `/api/v1/groups/medics/follow-requests/${requestId}/reject`,
          undefined,
          tokenB,
        )
      ).status,
    ).toBe(200);
    await expect
      .poll(() => person.received.filter((r) => r.activity instanceof Reject).length, {
        timeout: 15_000,
      })
      .toBe(1);
    const reject = person.received.find((r) => r.activity instanceof Reject)!.activity;
    expect(reject.objectId?.href).toBe(follow.id?.href);
    expect(person.received.some((r) => r.activity instanceof Accept)).toBe(false);
    const followers = await (
      await b.api("GET", "/api/v1/groups/medics/followers", undefined, tokenB)
    ).json();
    expect(followers.items.map((f: { actorId: string }) => f.actorId)).not.toContain(
      person.actorId.href,
    );
  });

  it("unfollows with Undo, and the other side forgets the follower", async () => {
    const water = (await followingOf()).find(
      (f: { actorId: string }) => f.actorId === actor(b, "water"),
    );
    expect(
      (await a.api("DELETE", `/api/v1/groups/food/following/${water.id}`, undefined, tokenA))
        .status,
    ).toBe(204);
    const bToken = (await (await b.api("POST", "/api/v1/groups/water/tokens")).json()).token;
    await expect
      .poll(
        async () =>
          (await (await b.api("GET", "/api/v1/groups/water/followers", undefined, bToken)).json())
            .items.length,
        {
          timeout: 15_000,
        },
      )
      .toBe(0);
    expect((await followingOf()).map((f: { actorId: string }) => f.actorId)).not.toContain(
      actor(b, "water"),
    );
  });

  it("refuses bad follow requests with clear errors and stores nothing", async () => {
    const before = (await followingOf()).length;
    const cases: [unknown, number][] = [
      [{ account: actor(a, "food") }, 400],
      [{ account: `${b.config.origin.origin}/groups/nobody` }, 404],
      [{ account: "x" }, 400],
      [{}, 400],
    ];
    for (const [body, status] of cases) {
      const res = await a.api("POST", "/api/v1/groups/food/following", body, tokenA);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect((await res.json()).error).toBeTypeOf("string");
    }
    expect((await a.api("GET", "/api/v1/groups/food/following", undefined, null)).status).toBe(401);
    expect(
      (await b.api("GET", "/api/v1/groups/medics/follow-requests", undefined, null)).status,
    ).toBe(401);
    expect((await followingOf()).length).toBe(before);
  });
});
