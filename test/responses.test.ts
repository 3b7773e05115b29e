import { Accept, Create, Update } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/**
 * Replies from a Mastodon-shaped peer (interop notes §3): a Create(Note) in
 * reply to our need, with Mastodon's extra keys, an edit and a delete; the
 * coordinator accepts it and the replier gets a direct message; the need's
 * Update reaches the replier's server with a newer `updated` each time.
 */
describe("replies from a Mastodon-shaped server become responses", () => {
  let instance: TestInstance;
  let alice: RemoteActor;
  let mallory: RemoteActor;
  let token: string;
  let group: { actorId: string };
  let need: { id: string; objectId: string };
  const sharedInbox = () => new URL("/inbox", instance.config.origin);

  function reply(actor: RemoteActor, n: number, text: string, extra: Record<string, unknown> = {}) {
    const id = `${actor.actorId.href}/statuses/${n}`;
    return {
      "@context": [
        "https://www.w3.org/ns/activitystreams",
        { ostatus: "http://ostatus.org#", conversation: "ostatus:conversation" },
      ],
      id: `${id}/activity`,
      type: "Create",
      actor: actor.actorId.href,
      published: "2026-11-28T10:00:00Z",
      to: [PUBLIC],
      cc: [`${actor.actorId.href}/followers`, group.actorId],
      object: {
        id,
        type: "Note",
        inReplyTo: need.objectId,
        attributedTo: actor.actorId.href,
        published: "2026-11-28T10:00:00Z",
        to: [PUBLIC],
        cc: [`${actor.actorId.href}/followers`, group.actorId],
        content: `<p><span class="h-card"><a href="${group.actorId}" class="u-url mention">@<span>food</span></a></span> ${text}</p>`,
        contentMap: { en: `<p>${text}</p>` },
        conversation: "tag:m.example,2026-11-28:objectId=1:objectType=Conversation",
        tag: [{ type: "Mention", href: group.actorId, name: "@food@aid" }],
        ...extra,
      },
    };
  }

  async function responses(): Promise<
    { id: string; source: string; actor: string; content: string; state: string }[]
  > {
    const res = await instance.api("GET", `/api/v1/needs/${need.id}/responses`, undefined, token);
    expect(res.status).toBe(200);
    return (await res.json()).items;
  }

  async function needNow() {
    return (await instance.api("GET", `/api/v1/needs/${need.id}`)).json();
  }

  beforeAll(async () => {
    instance = await startTestInstance();
    alice = await startRemoteActor("127.0.0.2");
    mallory = await startRemoteActor("127.0.0.3");
    group = await (
      await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food Collective" })
    ).json();
    token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    // Alice follows the group, as a Mastodon user would before seeing its needs.
    await alice.follow({ id: new URL(group.actorId), inbox: new URL(`${group.actorId}/inbox`) });
    await waitFor("the Accept", () => alice.received.some((r) => r.activity instanceof Accept));
    need = await (
      await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        {
          title: "20 insulin coolers",
          category: "medication",
          quantity: { amount: 20, unit: "one" },
          contact: "Ana, +63 917 555 0101",
        },
        token,
      )
    ).json();
    await waitFor("the Create", () => alice.received.some((r) => r.activity instanceof Create));
  });
  afterAll(async () => {
    await instance?.stop();
    await alice?.close();
    await mallory?.close();
  });

  it("stores a reply on the shared inbox as a response, with a notification", async () => {
    const res = await alice.postSigned(
      sharedInbox(),
      reply(alice, 1, "I have 5 — where can I drop them?"),
    );
    expect(res.status).toBe(202);
    await expect.poll(responses, { timeout: 15_000 }).toHaveLength(1);
    const [response] = await responses();
    expect(response).toMatchObject({
      source: "reply",
      actor: alice.actorId.href,
      actorName: `@alice@${alice.actorId.host}`,
      state: "proposed",
      quantity: null,
    });
    // Plain text: the mention markup is gone, the words are kept.
    expect(response!.content).toBe("@food I have 5 — where can I drop them?");
    const notes = await (
      await instance.api("GET", "/api/v1/groups/food/notifications", undefined, token)
    ).json();
    expect(notes.items).toEqual([
      expect.objectContaining({ kind: "response", subjectId: response!.id, read: false }),
    ]);
  });

  it("stores a redelivered reply once", async () => {
    await alice.postSigned(sharedInbox(), reply(alice, 1, "I have 5 — where can I drop them?"));
    // A later, distinct reply shows the first redelivery has been processed.
    await alice.postSigned(new URL(`${group.actorId}/inbox`), reply(alice, 2, "Also a cool box"));
    await expect.poll(async () => (await responses()).length, { timeout: 15_000 }).toBe(2);
    expect((await responses()).map((r) => r.content)).toEqual([
      "@food I have 5 — where can I drop them?",
      "@food Also a cool box",
    ]);
  });

  it("applies the author's newer edit and ignores an older one", async () => {
    const edit = (text: string, updated: string) => ({
      ...reply(alice, 2, text, { updated }),
      id: `${alice.actorId.href}/statuses/2#updates/${updated}`,
      type: "Update",
    });
    await alice.postSigned(sharedInbox(), edit("Two cool boxes", "2026-11-28T11:00:00Z"));
    await expect
      .poll(async () => (await responses())[1]?.content, { timeout: 15_000 })
      .toBe("@food Two cool boxes");
    await alice.postSigned(sharedInbox(), edit("stale text", "2026-11-28T10:30:00Z"));
    // Reply 3 is processed after the stale edit on the same queue.
    await alice.postSigned(sharedInbox(), reply(alice, 3, "to be deleted"));
    await expect.poll(async () => (await responses()).length, { timeout: 15_000 }).toBe(3);
    expect((await responses())[1]?.content).toBe("@food Two cool boxes");
  });

  it("refuses another actor's edit or delete of the reply", async () => {
    const forgedUpdate = {
      ...reply(alice, 3, "forged text", { updated: "2026-11-28T12:00:00Z" }),
      id: `${mallory.actorId.href}/forged-update`,
      type: "Update",
      actor: mallory.actorId.href,
    };
    const res = await mallory.postSigned(sharedInbox(), forgedUpdate);
    // Fedify's key-ownership defence or ours refuses it, or it is dropped.
    expect([202, 401, 403]).toContain(res.status);
    await mallory.postSigned(sharedInbox(), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${mallory.actorId.href}/forged-delete`,
      type: "Delete",
      actor: mallory.actorId.href,
      object: `${alice.actorId.href}/statuses/3`,
    });
    // Mallory's own reply, processed after both forgeries.
    await mallory.postSigned(sharedInbox(), reply(mallory, 9, "Mallory can help"));
    await expect.poll(async () => (await responses()).length, { timeout: 15_000 }).toBe(4);
    const third = (await responses()).find((r) => r.content.includes("to be deleted"));
    expect(third?.actor).toBe(alice.actorId.href);
  });

  it("removes the reply when its author deletes it", async () => {
    await alice.postSigned(sharedInbox(), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${alice.actorId.href}/statuses/3#delete`,
      type: "Delete",
      actor: alice.actorId.href,
      object: { id: `${alice.actorId.href}/statuses/3`, type: "Tombstone" },
      to: [PUBLIC],
    });
    await expect
      .poll(async () => (await responses()).some((r) => r.content.includes("to be deleted")), {
        timeout: 15_000,
      })
      .toBe(false);
  });

  it("drops a reply whose Note claims another author", async () => {
    const before = (await responses()).length;
    await mallory.postSigned(
      sharedInbox(),
      reply(mallory, 10, "posing as alice", { attributedTo: alice.actorId.href }),
    );
    await mallory.postSigned(sharedInbox(), reply(mallory, 11, "marker"));
    await expect.poll(async () => (await responses()).length, { timeout: 15_000 }).toBe(before + 1);
    expect((await responses()).some((r) => r.content.includes("posing"))).toBe(false);
  });

  it("accepting a reply counts its quantity, federates the Update and tells the replier", async () => {
    const first = (await responses())[0]!;
    const updatesBefore = alice.received.filter((r) => r.activity instanceof Update).length;
    const res = await instance.api(
      "POST",
      `/api/v1/responses/${first.id}/accept`,
      { quantity: { amount: 5, unit: "one" } },
      token,
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.response.state).toBe("accepted");
    expect(body.proposal).toMatchObject({
      status: "pledged",
      quantity: { amount: 20, unit: "one", pledged: 5, remaining: 15 },
    });

    // The direct message: addressed to alice only, mentioning her.
    const dm = await waitFor("the direct message", () =>
      alice.received.find(
        (r) =>
          r.activity instanceof Create &&
          JSON.stringify(r.json).includes("accepted your offer to help"),
      ),
    );
    const object = dm!.json.object as Record<string, unknown>;
    expect(dm!.json.to ?? object.to).toEqual(alice.actorId.href);
    expect(JSON.stringify(object)).not.toContain(PUBLIC);
    expect(object.inReplyTo).toBe(`${alice.actorId.href}/statuses/1`);
    expect(object.tag).toMatchObject({ type: "Mention", href: alice.actorId.href });
    expect(object.content).toContain("20 insulin coolers");

    // The Mastodon-visible post says it too, edited with a newer `updated`.
    await expect
      .poll(() => alice.received.filter((r) => r.activity instanceof Update).length, {
        timeout: 15_000,
      })
      .toBe(updatesBefore + 1);
    const fetched = (await alice.fetchJson(need.objectId)).json as Record<string, unknown>;
    expect(fetched.content).toContain("pledged 5 of 20, 15 still needed");
    expect(fetched.content).toContain("Status: Pledged");
  });

  it("sends Updates with strictly increasing `updated` as the need moves on", async () => {
    const second = (await responses())[1]!;
    await instance.api(
      "POST",
      `/api/v1/responses/${second.id}/accept`,
      { quantity: { amount: 2, unit: "one" } },
      token,
    );
    await instance.api("PATCH", `/api/v1/needs/${need.id}`, { status: "fulfilled" }, token);
    await expect
      .poll(() => alice.received.filter((r) => r.activity instanceof Update).length, {
        timeout: 15_000,
      })
      .toBe(3);
    const stamps = alice.received
      .filter((r) => r.activity instanceof Update)
      .map((r) => Temporal.Instant.from(String((r.activity as Update).updated)));
    for (let i = 1; i < stamps.length; i++) {
      expect(Temporal.Instant.compare(stamps[i]!, stamps[i - 1]!)).toBe(1);
    }
    expect((await needNow()).quantity).toMatchObject({ pledged: 7, remaining: 13 });
  });

  it("refuses to answer a response twice, or someone else's", async () => {
    const first = (await responses())[0]!;
    const again = await instance.api("POST", `/api/v1/responses/${first.id}/reject`, {}, token);
    expect(again.status).toBe(409);
    expect((await again.json()).error).toBe("conflict");
    const other = await (
      await instance.api("POST", "/api/v1/groups", { handle: "other", name: "Other" })
    ).json();
    expect(other.handle).toBe("other");
    const otherToken = (await (await instance.api("POST", "/api/v1/groups/other/tokens")).json())
      .token;
    const forbidden = await instance.api(
      "POST",
      `/api/v1/responses/${first.id}/accept`,
      {},
      otherToken,
    );
    expect(forbidden.status).toBe(403);
    const anonymous = await instance.api(
      "GET",
      `/api/v1/needs/${need.id}/responses`,
      undefined,
      null,
    );
    expect(anonymous.status).toBe(401);
  });

  it("refuses replies from a blocked domain at the door, storing nothing", async () => {
    const before = (await responses()).length;
    const blocked = await instance.api("POST", "/api/v1/admin/federation/domains", {
      domain: "127.0.0.3",
      policy: "block",
    });
    expect(blocked.status).toBe(201);
    const res = await mallory.postSigned(
      sharedInbox(),
      reply(mallory, 12, "from a blocked domain"),
    );
    expect(res.status).toBe(403);
    expect((await responses()).length).toBe(before);
  });
});
