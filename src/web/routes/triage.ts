import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findIntakeRequest } from "../../db/intake.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { type IntakeInput, validateDecline } from "../../domain/intake.ts";
import { collectiveZone, todayIn } from "../../domain/time-zone.ts";
import { listGroupPartnerLinks } from "../../services/partner-links.ts";
import { groupPlaceStep, placeDecision } from "../../services/place-input.ts";
import {
  declineIntake,
  findTriageDuplicates,
  listTriageQueue,
  publishIntake,
} from "../../services/triage.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { EMPTY_INTAKE } from "../pages/intake-form.ts";
import {
  type DeclineEdit,
  DeclineIntakePage,
  type TriageEdit,
  TriagePage,
} from "../pages/triage.ts";
import {
  confirmation,
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** The triage queue: publishing or declining what people sent without an account. */
export function registerTriagePages(app: Hono, deps: WebDeps): void {
  const { urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);

  const renderTriage = async (
    c: Context,
    group: Group,
    extra: { notice?: string; edit?: TriageEdit; declineEdit?: DeclineEdit } = {},
  ) => {
    const requests = await listTriageQueue(deps, group);
    const duplicates = await findTriageDuplicates(deps, group, requests);
    const partners = new Map(
      (await listGroupPartnerLinks(deps, group)).map((link) => [link.id, link.label]),
    );
    const today = todayIn(deps.clock(), collectiveZone(group, deps.timeZone));
    return workspaceHtml(
      c,
      urls,
      TriagePage,
      { group, requests, duplicates, partners, today, ...extra },
      extra.edit === undefined && extra.declineEdit === undefined ? 200 : 422,
    );
  };

  app.get("/workspace/groups/:handle/triage", ...coordinators, async (c) => {
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, {
      published: t.published,
      declined: t.declined,
      taken: t.alreadyTriaged,
    });
    return renderTriage(c, c.get("group"), { notice });
  });

  app.post(
    "/workspace/groups/:handle/triage/:id/publish",
    ...guards,
    ...coordinators,
    async (c) => {
      const group = c.get("group");
      const id = c.req.param("id");
      if (!isId(id)) return notFoundPage(c, urls);
      const form = await c.req.parseBody();
      const values = Object.fromEntries(
        Object.keys(EMPTY_INTAKE).map((k) => [k, formField(form, k)]),
      ) as unknown as IntakeInput;
      const placeStep = await groupPlaceStep(
        deps.db,
        group.id,
        values.place,
        formField(form, "placePick"),
      );
      const place = placeDecision(placeStep);
      if (!place.ready) {
        const problems = place.problem === undefined ? {} : { place: place.problem };
        return renderTriage(c, group, { edit: { id, values, problems, placeStep } });
      }
      const result = await publishIntake(deps, group, id, values, place.location);
      const base = `/workspace/groups/${group.handle}/triage`;
      if (result.ok) return c.redirect(`${base}?done=published`, 303);
      if (result.reason === "invalid") {
        return renderTriage(c, group, {
          edit: { id, values, problems: result.problems, placeStep },
        });
      }
      if (result.reason === "not-found") return notFoundPage(c, urls);
      return c.redirect(`${base}?done=taken`, 303);
    },
  );

  app.post(
    "/workspace/groups/:handle/triage/:id/decline",
    ...guards,
    ...coordinators,
    async (c) => {
      const group = c.get("group");
      const id = c.req.param("id");
      if (!isId(id)) return notFoundPage(c, urls);
      const form = await c.req.parseBody();
      const input = { reason: formField(form, "reason"), note: formField(form, "note") };
      const checked = validateDecline(input.reason, input.note);
      if (!checked.ok) {
        // The reason first, next to its field: the step would only carry the gap.
        return renderTriage(c, group, {
          declineEdit: { id, ...input, problems: checked.problems },
        });
      }
      const confirmed = confirmation(form);
      if (!confirmed.confirmed) {
        // Nothing changes until the box is ticked: the step, with the reason and note carried.
        const request = await findIntakeRequest(deps.db, group.id, id);
        if (request === null) return notFoundPage(c, urls);
        const { carry, notTicked } = confirmed;
        return workspaceHtml(
          c,
          urls,
          DeclineIntakePage,
          { group, request, carry, notConfirmed: notTicked },
          notTicked ? 422 : 200,
        );
      }
      const result = await declineIntake(deps, group, id, input);
      if (!result.ok && result.reason === "not-found") return notFoundPage(c, urls);
      if (!result.ok && result.reason === "invalid") {
        return renderTriage(c, group, {
          declineEdit: { id, ...input, problems: result.problems },
        });
      }
      const base = `/workspace/groups/${group.handle}/triage`;
      return c.redirect(`${base}?done=${result.ok ? "declined" : "taken"}`, 303);
    },
  );
}
