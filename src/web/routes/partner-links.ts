import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import {
  createPartnerLink,
  listGroupPartnerLinks,
  revokeGroupPartnerLink,
} from "../../services/partner-links.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { PartnerLinksPage } from "../pages/partner-links.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** The links a collective hands to partners: not limited per address. */
export function registerPartnerLinkPages(app: Hono, deps: WebDeps): void {
  const { urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);
  const base = (group: Group) => `/workspace/groups/${group.handle}/partner-links`;

  const render = async (c: Context, group: Group, input?: { label: string; problem: string }) => {
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, { created: t.partnerLinkCreated, revoked: t.partnerLinkRevoked });
    const links = await listGroupPartnerLinks(deps, group);
    return workspaceHtml(
      c,
      urls,
      PartnerLinksPage,
      { group, links, notice, input },
      input === undefined ? 200 : 422,
    );
  };

  app.get("/workspace/groups/:handle/partner-links", ...coordinators, (c) =>
    render(c, c.get("group")),
  );

  app.post("/workspace/groups/:handle/partner-links", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const { t } = pageContext(c, urls);
    const label = formField(await c.req.parseBody(), "label").slice(0, 1000);
    const result = await createPartnerLink(deps, group, label);
    if (!result.ok) {
      const problem = result.problem === "full" ? t.partnerLinksFull : t.problems[result.problem];
      return render(c, group, { label, problem });
    }
    return c.redirect(`${base(group)}?done=created#pl-${result.link.id}`, 303);
  });

  app.post(
    "/workspace/groups/:handle/partner-links/:id/revoke",
    ...guards,
    ...coordinators,
    async (c) => {
      const group = c.get("group");
      const id = c.req.param("id");
      if (!isId(id) || !(await revokeGroupPartnerLink(deps, group, id))) {
        return notFoundPage(c, urls);
      }
      return c.redirect(`${base(group)}?done=revoked`, 303);
    },
  );
}
