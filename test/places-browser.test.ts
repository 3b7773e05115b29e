import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAxeViolations, type TestBrowser } from "./helpers/browser.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * A coordinator places needs by a town's name and by a pasted map link,
 * with JavaScript off (the forms must work without it), and finds them
 * again with near=<place>. Bad places are said next to the field and
 * store nothing.
 */
describe("placing needs in a browser without JavaScript", () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  let page: Page;
  /** axe-core runs in a page of its own, with JavaScript, on the HTML the other page shows. */
  let checker: TestBrowser;
  let checkPage: Page;

  const url = (p: string) => new URL(p, instance.config.origin).href;
  const expectAccessible = async () => {
    // Same origin first, so the stylesheet (and its contrast) is the page's own.
    await checkPage.goto(url("/healthz"));
    await checkPage.setContent(await page.content());
    expect(await seriousAxeViolations(checkPage)).toEqual([]);
  };
  const storedNeeds = async () =>
    (await (await instance.api("GET", "/api/v1/groups/food/needs", undefined, null)).json())
      .items as { title: string; location: { name: string; latitude: number | null } | null }[];

  const newNeed = async (title: string, where: string) => {
    await page.goto(url("/workspace/groups/food/posts/new?purpose=request"));
    await page.getByLabel("What do you need?").fill(title);
    await page.getByLabel("Kind of help").selectOption("food");
    await page.getByLabel("Where (optional)").fill(where);
    await page.getByRole("button", { name: "Save" }).click();
  };
  const placeError = () => page.locator("#f-place-error").textContent();

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false });
    page = await browser.context.newPage();
    checker = await launchBrowser();
    checkPage = await checker.context.newPage();
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "QC Food" });
    // The gazetteer is read on first use, which takes seconds on a busy
    // machine: read it now, not inside a click's deadline.
    expect((await instance.api("GET", "/api/v1/places?q=Manila", undefined, null)).status).toBe(
      200,
    );
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    await page.goto(invitation.url);
    await page.getByLabel("Username").fill("ana");
    await page.getByLabel("Password", { exact: true }).fill("a long passphrase");
    await page.getByLabel("Password again").fill("a long passphrase");
    await page.getByRole("button", { name: "Create my account" }).click();
    await page.locator("h1", { hasText: "Workspace" }).waitFor();
    // Two browsers and the gazetteer's first read: longer than most hooks on a busy machine.
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await checker?.close();
    await instance?.stop();
  });

  it("places a need by a town's name: shown as understood, stored when saved again", async () => {
    await newNeed("Rice for 20 families", "quezon city");
    const choices = page.locator("fieldset.place-choices");
    expect(await choices.locator("legend").textContent()).toBe("Which place did you mean?");
    const checked = choices.locator("input:checked");
    expect(await checked.count()).toBe(1);
    expect(
      await page.locator(`label[for="${await checked.getAttribute("id")}"]`).textContent(),
    ).toMatch(/^Quezon City, National Capital Region, PH \(14\.6488, 121\.0509; town or city\)$/);
    await expectAccessible();
    expect(await storedNeeds()).toEqual([]);
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("[role=status]").textContent()).toBe("Saved.");
    const [need] = await storedNeeds();
    expect(need).toMatchObject({
      title: "Rice for 20 families",
      location: { name: "Quezon City, National Capital Region, PH" },
    });
  });

  it("places a need by a pasted map link", async () => {
    await newNeed("Water at Araneta", "https://www.openstreetmap.org/#map=17/14.61770/121.05370");
    expect(await page.locator("fieldset.place-choices legend").textContent()).toBe(
      "The place as understood",
    );
    expect(await page.locator("fieldset.place-choices label").textContent()).toBe(
      "14.6177, 121.0537 (14.6177, 121.0537; from the map link)",
    );
    await expectAccessible();
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("[role=status]").textContent()).toBe("Saved.");
    expect((await storedNeeds()).map((n) => n.title).sort()).toEqual([
      "Rice for 20 families",
      "Water at Araneta",
    ]);
  });

  it("says what is wrong with a place next to its field and stores nothing", async () => {
    await newNeed("Blankets", "Xqzzyville");
    expect(await placeError()).toContain("No place of this name is known here");
    expect(await page.locator("#f-place").getAttribute("aria-invalid")).toBe("true");
    await expectAccessible();

    await newNeed("Blankets", "https://example.com/where/14.6,121.0");
    expect(await placeError()).toContain("This link is not a map link");

    await newNeed("Blankets", "San Jose");
    expect(await placeError()).toContain("Several places have this name");
    const choices = page.locator("fieldset.place-choices input[type=radio]");
    expect(await choices.count()).toBeGreaterThan(2);
    expect(await page.locator("fieldset.place-choices input:checked").count()).toBe(0);
    await expectAccessible();
    // Saving without choosing asks again.
    await page.getByRole("button", { name: "Save" }).click();
    expect(await placeError()).toContain("Several places have this name");

    await page.goto(url("/workspace/groups/food/posts/new?purpose=request&lang=es"));
    await page.getByLabel("¿Qué necesitas?").fill("Mantas");
    await page.getByLabel("Tipo de ayuda").selectOption("food");
    await page.getByLabel("Dónde (opcional)").fill("Xqzzyville");
    await page.getByRole("button", { name: "Guardar" }).click();
    expect(await placeError()).toContain("No conocemos ningún lugar con este nombre");
    await page.goto(url("/workspace?lang=en"));

    expect((await storedNeeds()).map((n) => n.title).sort()).toEqual([
      "Rice for 20 families",
      "Water at Araneta",
    ]);
  });

  it("finds both with near=<place> on the group's page, and says so for an unknown place", async () => {
    await page.goto(url("/groups/food?near=Quezon%20City&km=10"));
    const main = (await page.locator("main").textContent())!;
    expect(main).toContain("Rice for 20 families");
    expect(main).toContain("Water at Araneta");
    expect(main).toContain("Quezon City, National Capital Region, PH");
    await expectAccessible();
    await page.goto(url("/groups/food?near=Malolos&km=10"));
    expect(await page.locator("main").textContent()).not.toContain("Rice for 20 families");
    await page.goto(url("/groups/food?near=Xqzzyville"));
    expect(await page.locator("[role=status]").first().textContent()).toContain(
      'near: no place called "Xqzzyville" is known here',
    );
  });
});
