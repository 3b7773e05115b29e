import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findContactWays, saveContactWays } from "../../db/contact-ways.repo.ts";
import { type ContactWayField, validateContactWays } from "../../domain/contact-ways.ts";
import type { Group } from "../../domain/group.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { type ContactWaysInput, ContactWaysPage } from "../pages/contact-ways.ts";
import { doneNotice, formField, formGuards, groupCoordinators, workspaceHtml } from "./shared.ts";

const FIELDS: readonly ContactWayField[] = ["phone", "email", "address", "hours"];

/** A collective's public contact ways: its coordinators edit them. */
export function registerContactWaysPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);
  const path = "/workspace/groups/:handle/contact";

  const render = async (c: Context, group: Group, input?: ContactWaysInput) => {
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, { saved: t.contactWaysSaved });
    const ways = await findContactWays(db, group.id);
    return workspaceHtml(
      c,
      urls,
      ContactWaysPage,
      { group, ways, notice, input },
      input === undefined ? 200 : 422,
    );
  };

  app.get(path, ...coordinators, (c) => render(c, c.get("group")));

  app.post(path, ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const form = await c.req.parseBody();
    // Cut far past every limit: what is kept for the form to show again stays small.
    const values = Object.fromEntries(
      FIELDS.map((f) => [f, formField(form, f).slice(0, 2000)]),
    ) as Record<ContactWayField, string>;
    const result = validateContactWays(values);
    if (!result.ok) return render(c, group, { values, problems: result.problems });
    await saveContactWays(db, group.id, result.ways, deps.clock());
    return c.redirect(`/workspace/groups/${group.handle}/contact?done=saved`, 303);
  });
}
