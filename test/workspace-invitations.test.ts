import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** The admins' list of invitation links not used yet, each revocable. */
describe(`invitation links in the workspace (${testEngine})`, () => {
  let instance: TestInstance;
  let admin: string;
  let coordinator: string;
  const base = "/workspace/admin/invitations";

  const get = async (cookie: string, path: string) => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = async (cookie: string, path: string, fields: Record<string, string> = {}) => {
    const csrf = csrfIn((await get(cookie, "/workspace")).body);
    return postForm(new URL(path, instance.config.origin), { _csrf: csrf, ...fields }, { cookie });
  };
  const accept = (link: string, username: string) =>
    postForm(new URL(link), {
      username,
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
  const cookieOf = (res: { headers: Record<string, string | string[] | undefined> }) =>
    [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  const invite = async (body: object) =>
    (await (await instance.api("POST", "/api/v1/admin/invitations", body)).json()) as {
      url: string;
    };
  /** The newest unused invitation's id. */
  const newestOpenId = async () =>
    (
      await instance.database.db
        .selectFrom("invitations")
        .select("id")
        .where("accepted_at", "is", null)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .executeTakeFirstOrThrow()
    ).id;

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    admin = cookieOf(await accept((await invite({ admin: true })).url, "root"));
    coordinator = cookieOf(await accept((await invite({ group: "food" })).url, "maria"));
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("lists unused links, and a revoked one opens nothing", async () => {
    expect((await get(admin, base)).body).toContain("Every invitation link has been used.");
    const { url: link } = await invite({ group: "food" });
    const id = await newestOpenId();
    const page = await get(admin, base);
    expect(page.body).toContain(`data-invitation="${id}"`);
    expect(page.body).toContain("Revoke the invitation link for Food collective");
    expect(page.body).toMatch(/ · expires [A-Z]/);

    // Only admins revoke; a coordinator is told nothing is there.
    expect((await post(coordinator, `${base}/${id}/revoke`)).status).toBe(404);
    expect((await get("", new URL(link).pathname)).status).toBe(200);

    const revoked = await post(admin, `${base}/${id}/revoke`);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.location).toBe(`${base}?done=revoked`);
    const after = await get(admin, `${base}?done=revoked`);
    expect(after.body).toContain("Revoked: that link no longer opens anything.");
    expect(after.body).not.toContain(`data-invitation="${id}"`);
    // The link cannot be used any more.
    expect((await get("", new URL(link).pathname)).status).toBe(404);
    const used = await accept(link, "late");
    expect(used.status).toBe(404);
    expect(
      await instance.database.db
        .selectFrom("accounts")
        .select("id")
        .where("username", "=", "late")
        .execute(),
    ).toEqual([]);
    // Twice, or an id that is not one: nothing there.
    expect((await post(admin, `${base}/${id}/revoke`)).status).toBe(404);
    expect((await post(admin, `${base}/not-an-id/revoke`)).status).toBe(404);
  });

  it("marks expired links, and never lists or revokes a used one", async () => {
    const { url: old } = await invite({ admin: true });
    await instance.database.db
      .updateTable("invitations")
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where("accepted_at", "is", null)
      .execute();
    const page = await get(admin, base);
    expect(page.body).toMatch(/ · expired [A-Z]/);
    expect(page.body).toContain("Revoke the invitation link for An instance admin");
    expect((await accept(old, "tooLate")).status).toBe(410);

    const used = await instance.database.db
      .selectFrom("invitations")
      .select("id")
      .where("accepted_at", "is not", null)
      .executeTakeFirstOrThrow();
    expect((await get(admin, base)).body).not.toContain(`data-invitation="${used.id}"`);
    expect((await post(admin, `${base}/${used.id}/revoke`)).status).toBe(404);
  });
});
