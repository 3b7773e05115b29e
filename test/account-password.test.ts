import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** A coordinator's own password: changing it, and the admins' one-time reset link. */
describe(`passwords in the workspace (${testEngine})`, () => {
  let instance: TestInstance;
  let admin: string;
  let coordinator: string;
  let maria: string;

  const url = (path: string) => new URL(path, instance.config.origin);
  const get = async (cookie: string, path: string) => {
    const res = await fetch(url(path), { headers: { cookie }, redirect: "manual" });
    return { status: res.status, body: await res.text(), location: res.headers.get("location") };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = async (cookie: string, path: string, fields: Record<string, string> = {}) => {
    const csrf = csrfIn((await get(cookie, "/workspace")).body);
    return postForm(url(path), { _csrf: csrf, ...fields }, { cookie });
  };
  const cookieOf = (res: { headers: Record<string, string | string[] | undefined> }) =>
    [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  const signUp = async (body: object, username: string, password: string) => {
    const invitation = await (await instance.api("POST", "/api/v1/admin/invitations", body)).json();
    const res = await postForm(new URL(invitation.url), {
      username,
      password,
      passwordAgain: password,
    });
    expect(res.status).toBe(303);
    return cookieOf(res);
  };
  const login = (username: string, password: string) =>
    postForm(url("/login"), { username, password, next: "/workspace" });
  const signedIn = async (cookie: string) => (await get(cookie, "/workspace")).status === 200;

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    admin = await signUp({ admin: true }, "root", "an admin passphrase");
    coordinator = await signUp({ group: "food" }, "maria", "a long passphrase");
    maria = (
      await instance.database.db
        .selectFrom("accounts")
        .select("id")
        .where("username", "=", "maria")
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("changes a password only with the current one and the new one twice", async () => {
    const page = await get(coordinator, "/workspace/account");
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/workspace/account" aria-current="page"');
    expect(page.body).toContain('autocomplete="current-password"');
    const path = "/workspace/account/password";

    const wrong = await post(coordinator, path, {
      current: "not my password",
      password: "a new passphrase",
      passwordAgain: "a new passphrase",
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain('id="current-error"');
    expect(wrong.body).toContain("This is not your current password.");
    const bad = await post(coordinator, path, {
      current: "a long passphrase",
      password: "short",
      passwordAgain: "short",
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('id="password-error"');
    expect(bad.body).toContain("Use at least 10 characters.");
    expect(bad.body).not.toContain('id="current-error"');
    const mismatch = await post(coordinator, path, {
      current: "a long passphrase",
      password: "a new passphrase",
      passwordAgain: "another passphrase",
    });
    expect(mismatch.body).toContain('id="passwordAgain-error"');
    const es = await postForm(
      url(path),
      {
        _csrf: csrfIn((await get(coordinator, "/workspace")).body),
        current: "nope",
        password: "a new passphrase",
        passwordAgain: "a new passphrase",
      },
      { cookie: coordinator, "accept-language": "es" },
    );
    expect(es.body).toContain("Esta no es tu contraseña actual.");
    // Nothing changed.
    expect((await login("maria", "a long passphrase")).status).toBe(303);

    const other = cookieOf(await login("maria", "a long passphrase"));
    expect(await signedIn(other)).toBe(true);
    const changed = await post(coordinator, path, {
      current: "a long passphrase",
      password: "a new passphrase",
      passwordAgain: "a new passphrase",
    });
    expect(changed.status).toBe(303);
    expect(changed.headers.location).toBe("/workspace/account?done=password-changed");
    expect((await get(coordinator, changed.headers.location as string)).body).toContain(
      "Password changed.",
    );
    // This sign-in stays; the others end.
    expect(await signedIn(coordinator)).toBe(true);
    expect(await signedIn(other)).toBe(false);
    expect((await login("maria", "a long passphrase")).status).toBe(401);
    expect((await login("maria", "a new passphrase")).status).toBe(303);
  });

  it("lets an admin issue a reset link that works once", async () => {
    const action = `/workspace/admin/accounts/${maria}/reset-link`;
    // A coordinator is not an admin.
    expect((await post(coordinator, action)).status).toBe(404);
    const issued = await post(admin, action);
    expect(issued.status).toBe(201);
    expect(issued.headers["cache-control"]).toBe("no-store");
    expect(issued.body).toContain("Give this link to maria now");
    const link = /<p class="secret">([^<]+)<\/p>/.exec(issued.body)![1]!;
    expect(link).toMatch(/\/password-reset\/[A-Za-z0-9_-]{43}$/);
    const path = new URL(link).pathname;

    const form = await get("", path);
    expect(form.status).toBe(200);
    expect(form.body).toContain("For the account maria.");
    const bad = await postForm(url(path), { password: "short", passwordAgain: "short" });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('id="password-error"');
    expect((await login("maria", "a new passphrase")).status).toBe(303);

    const done = await postForm(url(path), {
      password: "a reset passphrase",
      passwordAgain: "a reset passphrase",
    });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("/workspace/account?done=password-changed");
    expect(await signedIn(cookieOf(done))).toBe(true);
    // Every earlier sign-in ended; the new password is the one.
    expect(await signedIn(coordinator)).toBe(false);
    expect((await login("maria", "a new passphrase")).status).toBe(401);
    expect((await login("maria", "a reset passphrase")).status).toBe(303);

    // Used once: never again.
    expect((await get("", path)).status).toBe(410);
    const again = await postForm(url(path), {
      password: "a sneaky passphrase",
      passwordAgain: "a sneaky passphrase",
    });
    expect(again.status).toBe(410);
    expect(again.body).toContain("This link has been used already.");
    expect((await login("maria", "a sneaky passphrase")).status).toBe(401);
    expect((await get("", `/password-reset/${"a".repeat(43)}`)).status).toBe(404);
  });

  it("refuses an expired reset link, and issues links from the API", async () => {
    expect(
      (await instance.api("POST", "/api/v1/admin/password-resets", { username: "maria" }, null))
        .status,
    ).toBe(401);
    expect(
      (await instance.api("POST", "/api/v1/admin/password-resets", { username: "nobody" })).status,
    ).toBe(404);
    expect((await instance.api("POST", "/api/v1/admin/password-resets", {})).status).toBe(400);
    const res = await instance.api("POST", "/api/v1/admin/password-resets", {
      username: "Maria",
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.username).toBe("maria");
    expect(Temporal.Instant.from(body.expiresAt).epochMilliseconds - Date.now()).toBeGreaterThan(
      23 * 3600 * 1000,
    );
    const path = new URL(body.url).pathname;
    expect((await get("", path)).status).toBe(200);

    await instance.database.db
      .updateTable("password_resets")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("used_at", "is", null)
      .execute();
    const expired = await get("", path);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain("This link has expired.");
    const late = await postForm(url(path), {
      password: "a late passphrase",
      passwordAgain: "a late passphrase",
    });
    expect(late.status).toBe(410);
    expect((await login("maria", "a late passphrase")).status).toBe(401);
    expect((await login("maria", "a reset passphrase")).status).toBe(303);
  });
});
