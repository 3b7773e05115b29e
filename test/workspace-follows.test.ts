import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * Following, follow requests and re-sharing from the workspace, across two
 * real instances: B's coordinator follows A's groups from the form, A's
 * coordinator answers follow requests, B re-shares what arrives.
 */
describe("following and sharing from the workspace", () => {
  let a: TestInstance;
  let b: TestInstance;
  /** Follows B's relief group, so B's re-share has somewhere to go. */
  let c: TestInstance;
  /** Coordinates A's approval-only group "quiet" (not "food"). */
  let cookieA: string;
  /** Coordinates B's "relief". */
  let cookieB: string;

  const get = async (instance: TestInstance, cookie: string, path: string) => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const signIn = async (instance: TestInstance, group: string, username: string) => {
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group })
    ).json();
    const res = await postForm(new URL(invitation.url), {
      username,
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(res.status).toBe(303);
    return [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  };
  const post = (
    instance: TestInstance,
    cookie: string,
    path: string,
    fields: Record<string, string>,
  ) => postForm(new URL(path, instance.config.origin), fields, { cookie });
  const followingRows = (instance: TestInstance) =>
    instance.database.db.selectFrom("following").select(["actor_id", "state"]).execute();
  const actorOf = (instance: TestInstance, handle: string) =>
    `${instance.config.origin.origin}/groups/${handle}`;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startTestInstance({ host: "127.0.0.3" }),
    ]);
    await c.api("POST", "/api/v1/groups", { handle: "aid", name: "City C Aid" });
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await a.api("POST", "/api/v1/groups", {
      handle: "quiet",
      name: "Quiet A",
      followPolicy: "approval",
    });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    cookieA = await signIn(a, "quiet", "ana");
    cookieB = await signIn(b, "relief", "ben");
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await c?.stop();
  });

  it("refuses what cannot be followed, next to the field, keeping the input", async () => {
    const page = await get(b, cookieB, "/workspace/groups/relief/following");
    expect(page.status).toBe(200);
    expect(page.body).toContain("This group follows no other group yet.");
    const csrf = csrfIn(page.body);

    const garbled = await post(b, cookieB, "/workspace/groups/relief/following", {
      _csrf: csrf,
      account: "not <a> handle",
    });
    expect(garbled.status).toBe(422);
    expect(garbled.body).toContain('id="follow-account-error"');
    expect(garbled.body).toContain("Type a handle like food@aid.example");
    expect(garbled.body).toContain('value="not &lt;a&gt; handle"');
    expect(garbled.body).toContain('aria-invalid="true"');

    const es = await post(b, `${cookieB}; lang=es`, "/workspace/groups/relief/following", {
      _csrf: csrf,
      account: "javascript:alert(1)",
    });
    expect(es.status).toBe(422);
    expect(es.body).toContain('lang="es"');
    expect(es.body).toContain("Escribe una cuenta como comida@ayuda.example");

    const missing = await post(b, cookieB, "/workspace/groups/relief/following", {
      _csrf: csrf,
      account: `${actorOf(a, "nobody")}`,
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("No group was found at that handle or address.");

    const itself = await post(b, cookieB, "/workspace/groups/relief/following", {
      _csrf: csrf,
      account: actorOf(b, "relief"),
    });
    expect(itself.status).toBe(422);
    expect(itself.body).toContain("A group cannot follow itself.");

    const forged = await post(b, cookieB, "/workspace/groups/relief/following", {
      _csrf: "forged",
      account: actorOf(a, "food"),
    });
    expect(forged.status).toBe(403);
    expect(await followingRows(b)).toEqual([]);
  });

  it("follows from the form, sees it accepted, re-shares from the feed once, and unfollows", async () => {
    const page = await get(b, cookieB, "/workspace/groups/relief/following");
    const sent = await post(b, cookieB, "/workspace/groups/relief/following", {
      _csrf: csrfIn(page.body),
      account: actorOf(a, "food"),
    });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe("/workspace/groups/relief/following?done=sent");
    expect((await get(b, cookieB, sent.headers.location as string)).body).toContain("Follow sent.");
    // A's Accept comes back over the wire and moves the row on.
    await waitFor("the follow accepted on B's page", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/following")).body.includes(
        'data-state="accepted"',
      ),
    );
    const followersOfFood = await (await a.api("GET", "/api/v1/groups/food/followers")).json();
    expect(followersOfFood.items.map((f: { actorId: string }) => f.actorId)).toEqual([
      actorOf(b, "relief"),
    ]);

    const need = await (
      await a.api("POST", "/api/v1/groups/food/needs", {
        title: "Tarps <for> roofs",
        category: "shelter",
      })
    ).json();
    await waitFor("the need on B's feed", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/network")).body.includes(
        "Tarps &lt;for&gt; roofs",
      ),
    );
    const tokenC = (await (await c.api("POST", "/api/v1/groups/aid/tokens")).json()).token;
    await c.api("POST", "/api/v1/groups/aid/following", { account: actorOf(b, "relief") }, tokenC);
    await waitFor("C following B's relief", async () => {
      const list = await (
        await c.api("GET", "/api/v1/groups/aid/following", undefined, tokenC)
      ).json();
      return list.items[0]?.state === "accepted";
    });
    const feed = await get(b, cookieB, "/workspace/groups/relief/network");
    expect(feed.body).toContain("Share with our followers");
    expect(feed.body).not.toContain('data-shared="true"');
    const shared = await post(b, cookieB, "/workspace/groups/relief/shares", {
      _csrf: csrfIn(feed.body),
      objectId: need.objectId,
    });
    expect(shared.status).toBe(303);
    const after = await get(b, cookieB, shared.headers.location as string);
    expect(after.body).toContain("Shared with our followers.");
    expect(after.body).toContain('data-shared="true"');
    const twice = await post(b, cookieB, "/workspace/groups/relief/shares", {
      _csrf: csrfIn(feed.body),
      objectId: need.objectId,
    });
    expect(twice.status).toBe(409);
    expect(twice.body).toContain("This group already shared it.");
    const unknown = await post(b, cookieB, "/workspace/groups/relief/shares", {
      _csrf: csrfIn(feed.body),
      objectId: "https://nowhere.example/objects/1",
    });
    expect(unknown.status).toBe(404);
    const shares = await b.database.db.selectFrom("shares").select("object_id").execute();
    expect(shares).toEqual([{ object_id: need.objectId }]);
    // The Announce reaches B's follower on C, whose feed now shows A's need shared by B.
    await waitFor("the re-share on C's feed", async () => {
      const items = (
        await (await c.api("GET", "/api/v1/groups/aid/network", undefined, null)).json()
      ).items as { objectId: string; sharedBy: string[] }[];
      return items.some(
        (i) => i.objectId === need.objectId && i.sharedBy.includes(actorOf(b, "relief")),
      );
    });

    const list = await get(b, cookieB, "/workspace/groups/relief/following");
    const id = /\/following\/([0-9a-f-]{36})\/unfollow/.exec(list.body)![1]!;
    const gone = await post(b, cookieB, `/workspace/groups/relief/following/${id}/unfollow`, {
      _csrf: csrfIn(list.body),
    });
    expect(gone.status).toBe(303);
    expect((await get(b, cookieB, gone.headers.location as string)).body).toContain(
      "No longer following.",
    );
    expect(await followingRows(b)).toEqual([]);
    // The Undo reaches A, which drops the follower.
    await waitFor("B's group gone from A's followers", async () => {
      const res = await (await a.api("GET", "/api/v1/groups/food/followers")).json();
      return res.items.length === 0;
    });
    const again = await post(b, cookieB, `/workspace/groups/relief/following/${id}/unfollow`, {
      _csrf: csrfIn(list.body),
    });
    expect(again.status).toBe(404);
  });

  it("lets an approval group's coordinator accept a follow request, and B sees it", async () => {
    const page = await get(b, cookieB, "/workspace/groups/relief/following");
    const sent = await post(b, cookieB, "/workspace/groups/relief/following", {
      _csrf: csrfIn(page.body),
      account: actorOf(a, "quiet"),
    });
    expect(sent.status).toBe(303);

    await waitFor("the request on A's followers page", async () =>
      (await get(a, cookieA, "/workspace/groups/quiet/followers")).body.includes(
        actorOf(b, "relief"),
      ),
    );
    const requests = await get(a, cookieA, "/workspace/groups/quiet/followers");
    expect(requests.body).toContain("New followers wait until a coordinator accepts them.");
    expect(requests.body).toContain("No followers yet.");
    expect((await get(b, cookieB, "/workspace/groups/relief/following")).body).toContain(
      'data-state="pending"',
    );
    const id = /\/follow-requests\/([0-9a-f-]{36})\/accept/.exec(requests.body)![1]!;

    const forged = await post(a, cookieA, `/workspace/groups/quiet/follow-requests/${id}/accept`, {
      _csrf: "forged",
    });
    expect(forged.status).toBe(403);

    const accepted = await post(
      a,
      cookieA,
      `/workspace/groups/quiet/follow-requests/${id}/accept`,
      { _csrf: csrfIn(requests.body) },
    );
    expect(accepted.status).toBe(303);
    const after = await get(a, cookieA, accepted.headers.location as string);
    expect(after.body).toContain("Accepted.");
    expect(after.body).toContain("No one is waiting.");
    expect(after.body.slice(after.body.indexOf('id="followers"'))).toContain(actorOf(b, "relief"));

    const twice = await post(a, cookieA, `/workspace/groups/quiet/follow-requests/${id}/reject`, {
      _csrf: csrfIn(requests.body),
    });
    expect(twice.status).toBe(409);
    expect(twice.body).toContain("already answered");
    await waitFor("the Accept back on B", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/following")).body.includes(
        'data-state="accepted"',
      ),
    );
  });

  it("declines a follow request, and B sees it declined", async () => {
    await b.api("POST", "/api/v1/groups", { handle: "second", name: "Second B" });
    const tokenB = (await (await b.api("POST", "/api/v1/groups/second/tokens")).json()).token;
    const follow = await b.api(
      "POST",
      "/api/v1/groups/second/following",
      { account: actorOf(a, "quiet") },
      tokenB,
    );
    expect(follow.status).toBe(202);
    await waitFor("the second request on A", async () =>
      (await get(a, cookieA, "/workspace/groups/quiet/followers")).body.includes(
        actorOf(b, "second"),
      ),
    );
    const requests = await get(a, cookieA, "/workspace/groups/quiet/followers");
    const id = /\/follow-requests\/([0-9a-f-]{36})\/reject/.exec(requests.body)![1]!;
    const declined = await post(
      a,
      cookieA,
      `/workspace/groups/quiet/follow-requests/${id}/reject`,
      { _csrf: csrfIn(requests.body) },
    );
    expect(declined.status).toBe(303);
    expect((await get(a, cookieA, declined.headers.location as string)).body).toContain(
      "Declined. They were told.",
    );
    await waitFor("the Reject back on B", async () => {
      const list = await (
        await b.api("GET", "/api/v1/groups/second/following", undefined, tokenB)
      ).json();
      return list.items[0]?.state === "rejected";
    });
  });

  it("keeps another group's coordinator out", async () => {
    // ana coordinates "quiet" on A, not "food".
    for (const path of ["following", "followers"]) {
      expect((await get(a, cookieA, `/workspace/groups/food/${path}`)).status).toBe(404);
    }
    const page = await get(a, cookieA, "/workspace/groups/quiet/following");
    const refused = await post(a, cookieA, "/workspace/groups/food/following", {
      _csrf: csrfIn(page.body),
      account: actorOf(b, "relief"),
    });
    expect(refused.status).toBe(404);
    const rows = await a.database.db.selectFrom("following").selectAll().execute();
    expect(rows).toEqual([]);
  });
});
