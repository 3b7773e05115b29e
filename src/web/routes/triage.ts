import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import type { IntakeInput } from "../../domain/intake.ts";
import { declineIntake, listTriageQueue, publishIntake } from "../../services/triage.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import { EMPTY_INTAKE } from "../pages/intake-form.ts";
import { type TriageEdit, TriagePage } from "../pages/triage.ts";
import { requireSignIn } from "../session.ts";
import { coordinatedGroup, formField, formGuards, messagePage } from "./shared.ts";

/** The triage queue: publishing or declining what people sent without an account. */
export function registerTriagePages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const message = (c: Context, title: string, text: string, status: 403 | 404 | 409 | 410) =>
    messagePage(c, urls, title, text, status);
  const signedIn = requireSignIn(deps);

  const renderTriage = async (
    c: Context,
    group: Group,
    extra: { notice?: string; edit?: TriageEdit } = {},
  ) => {
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    const requests = await listTriageQueue(deps, group);
    const today = deps.clock().toZonedDateTimeISO("UTC").toPlainDate();
    return c.html(
      renderDocument(
        TriagePage({ page, account, csrf: csrfToken, group, requests, today, ...extra }),
      ),
      extra.edit === undefined ? 200 : 422,
    );
  };

  app.get("/workspace/groups/:handle/triage", signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    const { t } = pageContext(c, urls);
    if (group === null) return message(c, t.notFound, t.notFoundText, 404);
    const done = c.req.query("done");
    const notice =
      done === "published"
        ? t.published
        : done === "declined"
          ? t.declined
          : done === "taken"
            ? t.alreadyTriaged
            : undefined;
    return renderTriage(c, group, notice === undefined ? {} : { notice });
  });

  app.post("/workspace/groups/:handle/triage/:id/publish", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    const { t } = pageContext(c, urls);
    const id = c.req.param("id");
    if (group === null || !isId(id)) return message(c, t.notFound, t.notFoundText, 404);
    const form = await c.req.parseBody();
    const values = Object.fromEntries(
      Object.keys(EMPTY_INTAKE).map((k) => [k, formField(form, k)]),
    ) as unknown as IntakeInput;
    const result = await publishIntake(deps, group, id, values);
    const base = `/workspace/groups/${group.handle}/triage`;
    if (result.ok) return c.redirect(`${base}?done=published`, 303);
    if (result.reason === "invalid") {
      return renderTriage(c, group, { edit: { id, values, problems: result.problems } });
    }
    if (result.reason === "not-found") return message(c, t.notFound, t.notFoundText, 404);
    return c.redirect(`${base}?done=taken`, 303);
  });

  app.post("/workspace/groups/:handle/triage/:id/decline", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    const { t } = pageContext(c, urls);
    const id = c.req.param("id");
    if (group === null || !isId(id)) return message(c, t.notFound, t.notFoundText, 404);
    const result = await declineIntake(deps, group, id);
    if (!result.ok && result.reason === "not-found") {
      return message(c, t.notFound, t.notFoundText, 404);
    }
    const base = `/workspace/groups/${group.handle}/triage`;
    return c.redirect(`${base}?done=${result.ok ? "declined" : "taken"}`, 303);
  });
}
