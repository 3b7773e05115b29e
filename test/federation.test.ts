import { Accept, Create, Delete, Proposal, Update } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";

const PRIVATE_CONTACT = "Ana Reyes, +63 917 555 0101, 12 Mabini St";

/** What Mastodon checks before it shows a fetched object (see the interop notes §1). */
function expectMastodonReadable(
  url: string,
  fetched: { status: number; contentType: string; json: unknown },
) {
  expect(fetched.status).toBe(200);
  expect(fetched.contentType).toContain("application/activity+json");
  const object = fetched.json as Record<string, unknown>;
  const context = ([] as unknown[]).concat(object["@context"]);
  expect(context).toContain("https://www.w3.org/ns/activitystreams");
  expect(object.id).toBe(url);
  const types = ([] as unknown[]).concat(object.type);
  expect(types).toContain("Note");
  expect(new URL(String(object.attributedTo)).host).toBe(new URL(url).host);
  expect(object).not.toHaveProperty("summary");
  expect(typeof object.content).toBe("string");
  expect((object.content as string).length).toBeGreaterThan(0);
  return object;
}

describe("federation with a signed peer on another loopback address", () => {
  let instance: TestInstance;
  let remote: RemoteActor;
  let token: string;
  let group: { actorId: string };
  let groupInbox: URL;
  const origin = () => instance.config.origin.origin;

  beforeAll(async () => {
    instance = await startTestInstance();
    remote = await startRemoteActor("127.0.0.2");
    const res = await instance.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "City A Food Collective",
      summary: "Groceries & hot meals",
    });
    group = await res.json();
    token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    groupInbox = new URL(`${group.actorId}/inbox`);
  });
  afterAll(async () => {
    await instance?.stop();
    await remote?.close();
  });

  function receivedOf<T>(cls: abstract new (...args: never[]) => T): T[] {
    return remote.received
      .map((r) => r.activity)
      .filter((a): a is T & typeof a => a instanceof cls) as T[];
  }

  it("accepts a follow with an Accept signed by the group that echoes the Follow", async () => {
    const follow = await remote.follow({ id: new URL(group.actorId), inbox: groupInbox });
    await expect.poll(() => receivedOf(Accept).length, { timeout: 15_000 }).toBeGreaterThan(0);
    const accept = receivedOf(Accept)[0]!;
    expect(accept.actorId?.href).toBe(group.actorId);
    expect(accept.objectId?.href).toBe(follow.id?.href);
    const followers = await instance.database.db.selectFrom("followers").selectAll().execute();
    expect(followers).toHaveLength(1);
    expect(followers[0]).toMatchObject({
      actor_id: remote.actorId.href,
      inbox_url: remote.inbox.href,
      shared_inbox_url: remote.sharedInbox.href,
      state: "accepted",
    });
  });

  let needId: string;
  let objectId: string;

  it("delivers Create for a new need; the object reads as a post and as an FEP-0837 proposal", async () => {
    const res = await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      {
        title: "20 insulin coolers",
        description: "For the clinic.\nMust keep 2–8 °C.",
        category: "medication",
        quantity: { amount: 20, unit: "one" },
        location: { name: "Rizal Street clinic", latitude: 14.59951, longitude: 120.98423 },
        urgency: "high",
        expiresAt: "2027-01-15T18:00:00Z",
        contact: PRIVATE_CONTACT,
      },
      token,
    );
    expect(res.status).toBe(201);
    const need = await res.json();
    needId = need.id;
    objectId = need.objectId;

    await expect.poll(() => receivedOf(Create).length, { timeout: 15_000 }).toBe(1);
    const create = receivedOf(Create)[0]!;
    expect(create.actorId?.href).toBe(group.actorId);
    expect(create.objectId?.href).toBe(objectId);

    // A plain-JSON reader, like Mastodon, fetching the object by its id.
    const object = expectMastodonReadable(objectId, await remote.fetchJson(objectId));
    const content = object.content as string;
    expect(content).toContain("20 insulin coolers");
    expect(content).toContain("Rizal Street clinic");
    expect(content).toContain("Urgent");
    expect(content).toContain("2027-01-15");
    expect(content).toContain("#<span>MutualAid</span>");
    expect(content).toContain("#<span>Need</span>");
    expect(content).toContain(need.url);
    expect(object.tag).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "Hashtag", name: "#MutualAid" }),
        expect.objectContaining({ type: "Hashtag", name: "#Need" }),
        expect.objectContaining({ type: "Hashtag", name: "#Medication" }),
      ]),
    );
    expect(object.to).toEqual(["https://www.w3.org/ns/activitystreams#Public"]);
    expect(object.url).toBe(need.url);

    // Another instance of this software reading the same document with typed FEP-0837 access.
    const proposal = await Proposal.fromJsonLd(object);
    expect(proposal.purpose).toBe("request");
    expect(proposal.publishes?.resourceConformsTo?.href).toBe("urn:bayanihan:category:medication");
    // Unit-based: pledges are multiples of one, up to the 20 still needed.
    expect(proposal.unitBased).toBe(true);
    expect(proposal.publishes?.resourceQuantity?.unit).toBe("one");
    expect(String(proposal.publishes?.resourceQuantity?.numericalValue)).toBe("1");
    expect(String(proposal.publishes?.availableQuantity?.numericalValue)).toBe("20");
    const location = await proposal.getLocation();
    expect(location?.name?.toString()).toBe("Rizal Street clinic");
    // Coordinates leave the instance rounded to about a kilometre.
    expect(object.location).toMatchObject({ latitude: 14.6, longitude: 120.98 });
    expect(object).toMatchObject({
      urgency: "high",
      status: "open",
      endTime: "2027-01-15T18:00:00Z",
    });
  });

  it("delivers Update with a newer `updated` on a status change", async () => {
    const before = (await remote.fetchJson(objectId)).json as Record<string, unknown>;
    const res = await instance.api(
      "PATCH",
      `/api/v1/needs/${needId}`,
      { status: "pledged" },
      token,
    );
    expect(res.status).toBe(200);
    await expect.poll(() => receivedOf(Update).length, { timeout: 15_000 }).toBe(1);
    const update = receivedOf(Update)[0]!;
    expect(update.objectId?.href).toBe(objectId);
    const after = expectMastodonReadable(objectId, await remote.fetchJson(objectId));
    expect(after.status).toBe("pledged");
    expect(after.content as string).toContain("Status: Pledged");
    expect(typeof after.updated).toBe("string");
    expect(Date.parse(after.updated as string)).toBeGreaterThan(
      Date.parse(before.published as string),
    );
  });

  it("delivers Delete; the object is then gone", async () => {
    const res = await instance.api("DELETE", `/api/v1/needs/${needId}`, undefined, token);
    expect(res.status).toBe(204);
    await expect.poll(() => receivedOf(Delete).length, { timeout: 15_000 }).toBe(1);
    expect(receivedOf(Delete)[0]!.objectId?.href).toBe(objectId);
    expect([404, 410]).toContain((await remote.fetchJson(objectId)).status);
  });

  it("signs what it sends with an FEP-8b32 proof and an LD signature", () => {
    const create = remote.wire
      .map((body) => JSON.parse(body))
      .find((json) => json.type === "Create");
    expect(create.proof).toMatchObject({
      type: "DataIntegrityProof",
      cryptosuite: "eddsa-jcs-2022",
      proofPurpose: "assertionMethod",
    });
    expect(String(create.proof.verificationMethod)).toContain(group.actorId);
    expect(create.signature).toMatchObject({ type: "RsaSignature2017" });
  });

  it("never sent the private contact anywhere", () => {
    expect(remote.wire.length).toBeGreaterThanOrEqual(4);
    for (const body of remote.wire) {
      expect(body).not.toContain("Ana Reyes");
      expect(body).not.toContain("+63 917");
      expect(body).not.toContain("14.59951");
    }
  });

  it("removes the follower on Undo(Follow)", async () => {
    const follow = await remote.follow({ id: new URL(group.actorId), inbox: groupInbox });
    await expect.poll(() => receivedOf(Accept).length, { timeout: 15_000 }).toBe(2);
    await remote.unfollow({ id: new URL(group.actorId), inbox: groupInbox }, follow);
    await expect
      .poll(
        async () =>
          (await instance.database.db.selectFrom("followers").selectAll().execute()).length,
        {
          timeout: 15_000,
        },
      )
      .toBe(0);
    expect(origin()).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});
