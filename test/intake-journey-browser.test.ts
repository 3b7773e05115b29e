import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAxeViolations, type TestBrowser } from "./helpers/browser.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * Asking for help as a Spanish speaker on a small phone whose browser runs
 * no script: from the collective's page to the request's own page, which
 * keeps the private link across a language switch and a reload (one request
 * only), and where the request is withdrawn; and, once a coordinator set
 * the collective's contact ways and declined a duplicate, what the person
 * reads there. Every page is checked with axe and for sideways scrolling.
 */
describe("asking for help on a small phone without JavaScript", () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  let page: Page;
  /** axe-core and the width check run in a page of their own, with JavaScript, on the same HTML. */
  let checker: TestBrowser;
  let checkPage: Page;

  const url = (p: string) => new URL(p, instance.config.origin).href;
  const expectAccessibleAndNarrow = async () => {
    await checkPage.goto(url("/healthz"));
    await checkPage.setContent(await page.content());
    expect(await seriousAxeViolations(checkPage)).toEqual([]);
    const width = await checkPage.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
  };
  const requests = () =>
    instance.database.db.selectFrom("intake_requests").select(["title", "state"]).execute();

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false });
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 740 });
    checker = await launchBrowser();
    checkPage = await checker.context.newPage();
    await checkPage.setViewportSize({ width: 360, height: 740 });
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "Barangay Food Collective",
      summary: "Hot meals and groceries for families in Barangay 12.",
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await checker?.close();
    await instance?.stop();
  });

  it("lands on the request's page, keeps the link across a language switch and a reload, and withdraws", async () => {
    await page.goto(url("/groups/food"));
    await page.getByRole("link", { name: "Español" }).click();
    await page.getByRole("link", { name: "Pedir ayuda" }).click();
    await page.getByLabel("¿Qué necesitas?").fill("Leche de fórmula para dos semanas");
    await page.getByLabel("Tipo de ayuda").selectOption("food");
    await page.getByLabel("¿Cómo puede contactarte el colectivo?").fill("María, 0917 000 0000");
    await expectAccessibleAndNarrow();
    await page.getByRole("button", { name: "Enviar mi pedido" }).click();

    // The request's own page: its address is the private link.
    await expect.poll(() => page.locator("h1").textContent()).toBe("Recibimos tu pedido");
    const link = (await page.locator("p.secret").textContent())!;
    expect(link).toMatch(/\/requests\/[A-Za-z0-9_-]{43}$/);
    expect(new URL(page.url()).pathname).toBe(new URL(link).pathname);
    expect(await page.locator("#contact-erasure").textContent()).toContain("se borran 30 días");
    await expectAccessibleAndNarrow();

    // Switching language keeps the person on the same page, link and all.
    await page.getByRole("link", { name: "English" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Your request was received");
    expect(await page.locator("p.secret").textContent()).toBe(link);
    await page.getByRole("link", { name: "Español" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Recibimos tu pedido");
    expect(await page.locator("p.secret").textContent()).toBe(link);

    // A reload asks for the page again, it does not send the form again.
    await page.reload();
    expect(await page.locator("p.secret").textContent()).toBe(link);
    expect(await requests()).toEqual([
      { title: "Leche de fórmula para dos semanas", state: "new" },
    ]);

    await page.getByRole("button", { name: "Retirar" }).click();
    // A step of its own asks to confirm: nothing is withdrawn until the box is ticked.
    await page.getByLabel("Sí, retirarla").check();
    await expectAccessibleAndNarrow();
    await page.getByRole("button", { name: "Retirar" }).click();
    await expect
      .poll(() => page.locator("[data-state]").getAttribute("data-state"))
      .toBe("withdrawn");
    expect(await page.locator("p.secret").textContent()).toBe(link);
    expect(await page.locator("#contact-erasure").textContent()).toContain(
      "Tus datos de contacto se borrarán el",
    );
    await expectAccessibleAndNarrow();
    expect(await requests()).toEqual([
      { title: "Leche de fórmula para dos semanas", state: "withdrawn" },
    ]);
  });

  it("shows a declined request's reason, the collective's contact ways and other collectives", async () => {
    // A coordinator, in English, sets the contact ways (a bad email first) and a partner link.
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    await page.goto(`${invitation.url}?lang=en`);
    await page.getByLabel("Username").fill("ana");
    await page.getByLabel("Password", { exact: true }).fill("a long passphrase");
    await page.getByLabel("Password again").fill("a long passphrase");
    await page.getByRole("button", { name: "Create my account" }).click();
    await page.getByRole("link", { name: "Contact ways" }).click();
    await page.getByLabel("Phone").fill("+63 917 555 0101");
    await page.getByLabel("Email").fill("help at food");
    await page.getByLabel("Hours").fill("Mon–Sat 8:00–17:00");
    await page.getByRole("button", { name: "Save contact ways" }).click();
    expect(await page.locator("#cw-email-error").textContent()).toBe(
      "Write an email address such as help@collective.example.",
    );
    await expectAccessibleAndNarrow();
    await page.getByLabel("Email").fill("help@food.example");
    await page.getByRole("button", { name: "Save contact ways" }).click();
    await expect
      .poll(() => page.locator("[role=status]").textContent())
      .toBe("Contact ways saved.");

    await page.goto(url("/workspace/groups/food/partner-links"));
    await page.getByLabel("Partner").fill("San Roque evacuation centre");
    await page.getByRole("button", { name: "Create a partner link" }).click();
    expect(await page.locator("p.secret").textContent()).toMatch(/\/groups\/food\/ask\?partner=/);
    await expectAccessibleAndNarrow();

    // The same person asks twice; the second is flagged and declined as a duplicate.
    for (const title of ["Arroz para cinco", "Arroz para cinco personas"]) {
      await page.goto(url("/groups/food/ask?lang=es"));
      await page.getByLabel("¿Qué necesitas?").fill(title);
      await page.getByLabel("Tipo de ayuda").selectOption("food");
      await page.getByLabel("¿Cómo puede contactarte el colectivo?").fill("Luz, 0917 222 3333");
      await page.getByRole("button", { name: "Enviar mi pedido" }).click();
      await expect.poll(() => page.locator("h1").textContent()).toBe("Recibimos tu pedido");
    }
    const statusLink = (await page.locator("p.secret").textContent())!;

    await page.goto(url("/workspace/groups/food/triage?lang=en"));
    const second = page.locator("li", { hasText: "Request for help: Arroz para cinco personas" });
    expect(await second.locator("[data-duplicate-of]").textContent()).toBe(
      "Possible duplicate of “Arroz para cinco” (same contact; waiting)",
    );
    await second.locator("summary", { hasText: "Decline" }).click();
    await second.getByLabel("Why decline?").selectOption("duplicate");
    await second
      .getByLabel("A note for the person (optional)")
      .fill("Ya tenemos tu primer pedido.");
    await expectAccessibleAndNarrow();
    await second.getByRole("button", { name: "Decline" }).click();
    await page.getByLabel("Yes, decline this request").check();
    await page.getByRole("button", { name: "Decline" }).click();
    await expect.poll(() => page.locator("[role=status]").textContent()).toBe("Declined.");

    await page.goto(`${statusLink}?lang=es`);
    expect(await page.locator("[data-state]").getAttribute("data-state")).toBe("declined");
    expect(await page.locator("[data-reason]").textContent()).toBe(
      "Repite un pedido que el colectivo ya tiene.",
    );
    expect(await page.locator(".decline-note").textContent()).toBe("Ya tenemos tu primer pedido.");
    expect(await page.getByRole("link", { name: "Otros colectivos de este sitio" }).count()).toBe(
      1,
    );
    const ways = page.locator("dl.contact-ways");
    expect(await ways.getByRole("link", { name: "help@food.example" }).getAttribute("href")).toBe(
      "mailto:help@food.example",
    );
    expect(await ways.textContent()).toContain("Mon–Sat 8:00–17:00");
    await expectAccessibleAndNarrow();
  });
});
