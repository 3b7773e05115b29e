import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { signInByInvitation } from "./helpers/sign-in.ts";

/** Finding one's way: the sign-in link on public pages, the menu on signed-in ones. */
describe(`workspace menu and sign-in link (${testEngine})`, () => {
  let instance: TestInstance;
  let admin: string;
  let coordinator: string;

  const get = async (cookie: string, path: string) => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  const signIn = (body: object, username: string) => signInByInvitation(instance, body, username);
  const ask = (title: string) =>
    postForm(
      new URL("/groups/food/ask", instance.config.origin),
      { title, category: "food", contact: "Ana", urgency: "normal", quantityUnit: "one" },
      { origin: instance.config.origin.origin },
    );
  const menuOf = (html: string) =>
    /<nav aria-label="Workspace menu"[\s\S]*?<\/nav>/.exec(html)?.[0];

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    await instance.api("POST", "/api/v1/groups", { handle: "other", name: "Other collective" });
    admin = await signIn({ admin: true }, "root");
    coordinator = await signIn({ group: "food" }, "maria");
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("links every public page's footer to signing in", async () => {
    for (const path of ["/", "/groups/food", "/groups/food/ask", "/login"]) {
      const page = await get("", path);
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/<footer>[\s\S]*<a href="\/login">Coordinators: sign in<\/a>/);
      expect(menuOf(page.body)).toBeUndefined();
    }
    const es = await fetch(new URL("/groups/food?lang=es", instance.config.origin));
    expect(await es.text()).toContain('<a href="/login">Coordinación: iniciar sesión</a>');
  });

  it("puts the menu on every signed-in page, counting new requests", async () => {
    const none = menuOf((await get(coordinator, "/workspace")).body)!;
    expect(none).toContain('href="/workspace/groups/food/triage" data-new="0">New requests</a>');
    // A coordinator's collective only; tokens are the admins'.
    expect(none).not.toContain("Other collective");
    expect(none).not.toContain("/tokens");

    expect((await ask("Rice")).status).toBe(303);
    expect((await ask("Water")).status).toBe(303);
    for (const path of [
      "/workspace",
      "/workspace/groups/food/triage",
      "/workspace/groups/food/posts",
      "/workspace/groups/food/following",
      "/workspace/groups/food/incidents",
      "/workspace/groups/food/notifications",
    ]) {
      const page = await get(coordinator, path);
      expect(page.status).toBe(200);
      const menu = menuOf(page.body)!;
      expect(menu).toContain('<a href="/workspace"');
      expect(menu).toContain('data-new="2">New requests (2)</a>');
      for (const link of ["posts", "following", "incidents", "settings"]) {
        expect(menu).toContain(`href="/workspace/groups/food/${link}"`);
      }
      // The page itself is marked in the menu.
      if (path !== "/workspace/groups/food/notifications") {
        expect(menu).toContain(`href="${path}" aria-current="page"`);
      }
      expect(page.body).toMatch(/<footer>[\s\S]*<a href="\/workspace">Workspace<\/a>/);
      expect(page.body).not.toContain('<a href="/login">');
    }
  });

  it("shows admins every collective's entries while they are few, with tokens", async () => {
    const menu = menuOf((await get(admin, "/workspace/admin/federation")).body)!;
    expect(menu).toContain("Food collective");
    expect(menu).toContain("Other collective");
    expect(menu).toContain('href="/workspace/admin/groups/food/tokens"');
    expect(menu).toContain('href="/workspace/groups/other/triage" data-new="0"');
    // On one collective's page, that collective only.
    const own = menuOf((await get(admin, "/workspace/groups/other/posts")).body)!;
    expect(own).toContain("Other collective");
    expect(own).not.toContain("Food collective");
    for (const handle of ["c1", "c2"]) {
      await instance.api("POST", "/api/v1/groups", { handle, name: `Collective ${handle}` });
    }
    // Past three, the start page lists them instead.
    const many = menuOf((await get(admin, "/workspace/admin/federation")).body)!;
    expect(many).not.toContain("Food collective");
    expect(many).toContain('<a href="/workspace"');
  });
});
