import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findIncidentByObjectId } from "../../db/incidents.repo.ts";
import { listProposals } from "../../db/proposals.repo.ts";
import type { Group } from "../../domain/group.ts";
import type { IntakeField, IntakeInput, IntakeProblem } from "../../domain/intake.ts";
import {
  type Audience,
  canChangeStatus,
  type Location,
  type Proposal,
  type Purpose,
} from "../../domain/proposal.ts";
import { collectiveZone, todayIn } from "../../domain/time-zone.ts";
import { groupPlaceStep, type PlaceStep, placeDecision } from "../../services/place-input.ts";
import { deleteProposal, editProposal, type IncidentRefusal } from "../../services/proposals.ts";
import { taggableIncidents } from "../../services/workspace-incidents.ts";
import {
  createPostFromForm,
  editPostFromForm,
  formValuesOf,
  type PostFormResult,
} from "../../services/workspace-posts.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { EMPTY_INTAKE } from "../pages/intake-form.ts";
import {
  DeletePostPage,
  type IncidentChoice,
  PostFormPage,
  PostsPage,
  StatusChangePage,
} from "../pages/posts.ts";
import { quantityText } from "../pages/responses.ts";
import {
  confirmation,
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  liveProposalOf,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** What the write form is: a need or an offer, its heading, where it is sent. */
interface PostForm {
  readonly purpose: Purpose;
  readonly heading: string;
  readonly action: string;
}

/** What the coordinator typed or the form starts with: the fields, the audience, the incident tag. */
interface TypedPost {
  readonly values: IntakeInput;
  readonly audience: Audience;
  /** An incident's object id, "" for none. */
  readonly incident: string;
  /** The place as understood from what was typed, when the form has shown it. */
  readonly placeStep?: PlaceStep | undefined;
}

/** A group's needs and offers: writing, editing and moving their status. */
export function registerPostPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);

  app.get("/workspace/groups/:handle/posts", ...coordinators, async (c) => {
    const group = c.get("group");
    const { t } = pageContext(c, urls);
    const proposals = await listProposals(db, {
      groupId: group.id,
      includeFollowersOnly: true,
      limit: 100,
    });
    const notice = doneNotice(c, {
      changed: t.statusChanged,
      refused: t.statusNotAllowed,
      saved: t.saved,
      deleted: t.deleted,
    });
    return workspaceHtml(c, urls, PostsPage, { group, proposals, notice });
  });

  app.post("/workspace/groups/:handle/posts/:id/status", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const proposal = await liveProposalOf(db, group, c.req.param("id"));
    if (proposal === null) return notFoundPage(c, urls);
    const form = await c.req.parseBody();
    const status = formField(form, "status");
    const base = `/workspace/groups/${group.handle}/posts`;
    if (status !== "pledged" && status !== "fulfilled" && status !== "closed") {
      return c.redirect(`${base}?done=refused`, 303);
    }
    if (!canChangeStatus(proposal.status, status)) return c.redirect(`${base}?done=refused`, 303);
    // Ending it cannot be undone: nothing changes before the box is ticked.
    const confirmed = confirmation(form);
    if (status !== "pledged" && status !== proposal.status && !confirmed.confirmed) {
      const { notTicked } = confirmed;
      return workspaceHtml(
        c,
        urls,
        StatusChangePage,
        { group, proposal, status, notConfirmed: notTicked },
        notTicked ? 422 : 200,
      );
    }
    const result = await editProposal(deps, proposal, { status });
    return c.redirect(`${base}?done=${result.ok ? "changed" : "refused"}`, 303);
  });

  const formValues = (form: Record<string, unknown>) =>
    Object.fromEntries(
      Object.keys(EMPTY_INTAKE).map((k) => [k, formField(form, k)]),
    ) as unknown as IntakeInput;
  /** Today where the collective is: the earliest date its form offers. */
  const today = (c: Context) =>
    todayIn(deps.clock(), collectiveZone(c.get("group"), deps.timeZone));

  const renderPostForm = (
    c: Context,
    props: PostForm &
      TypedPost & {
        incidents: readonly IncidentChoice[];
        problems?: Partial<Record<IntakeField, IntakeProblem>>;
        formError?: string;
        incidentRefused?: IncidentRefusal | undefined;
      },
    status: 200 | 409 | 422 = 200,
  ) => {
    return workspaceHtml(
      c,
      urls,
      PostFormPage,
      { problems: {}, today: today(c), group: c.get("group"), ...props },
      status,
    );
  };

  /** After a failed save: the form again, with the person's input and what went wrong. */
  const formFailure = (
    c: Context,
    result: Exclude<PostFormResult, { ok: true }>,
    props: PostForm & TypedPost & { incidents: readonly IncidentChoice[] },
  ) => {
    const { t } = pageContext(c, urls);
    if (result.reason === "invalid") {
      return renderPostForm(c, { ...props, problems: result.problems }, 422);
    }
    const { type } = result.error;
    if (
      type === "incident-not-allowed" ||
      type === "incident-closed" ||
      type === "incident-ended"
    ) {
      return renderPostForm(c, { ...props, incidentRefused: type }, 422);
    }
    if (type === "unit-locked" || type === "below-pledged") {
      const { pledged, unit } = result.error;
      return renderPostForm(
        c,
        {
          ...props,
          problems: type === "unit-locked" ? { quantityUnit: type } : { quantityAmount: type },
          formError: t.quantityLocked(quantityText(pageContext(c, urls), pledged, unit)),
        },
        409,
      );
    }
    const formError =
      result.error.type === "conflict"
        ? t.postConflict
        : result.error.type === "expiry-in-past"
          ? t.problems["date-in-past"]
          : t.postTerminal;
    return renderPostForm(c, { ...props, formError }, 409);
  };

  /**
   * What the coordinator typed. Anything but "followers" is the default
   * audience, public: the form offers only the two. The incident select's
   * value is an object id, or "" for none.
   */
  const typedPost = (form: Record<string, unknown>): TypedPost => ({
    values: formValues(form),
    audience: formField(form, "audience") === "followers" ? "followers" : "public",
    incident: formField(form, "incident").trim().slice(0, 2048),
  });

  /**
   * What the select offers: the incidents the group may tag with, and the
   * post's current tag even when it no longer may (saving unchanged keeps it).
   */
  const incidentChoices = async (group: Group, proposal?: Proposal): Promise<IncidentChoice[]> => {
    const choices: IncidentChoice[] = (await taggableIncidents(db, group, deps.clock())).map(
      (i) => ({
        objectId: i.objectId,
        name: i.name,
      }),
    );
    const current = proposal?.incident ?? null;
    if (current !== null && !choices.some((i) => i.objectId === current)) {
      const incident = await findIncidentByObjectId(db, current);
      choices.push({ objectId: current, name: incident?.name ?? current });
    }
    return choices;
  };

  /** The form for a new need (`?purpose=offer`: offer) of the route's group. */
  const newPostForm = (c: Context, group: Group): PostForm => {
    const { t } = pageContext(c, urls);
    const purpose: Purpose = c.req.query("purpose") === "offer" ? "offer" : "request";
    return {
      purpose,
      heading: purpose === "request" ? t.newNeedHeading(group.name) : t.newOfferHeading(group.name),
      action: `/workspace/groups/${group.handle}/posts/new?purpose=${purpose}`,
    };
  };

  /** The form that edits one of the group's needs or offers. */
  const editPostForm = (c: Context, group: Group, proposal: Proposal): PostForm => ({
    purpose: proposal.purpose,
    heading: pageContext(c, urls).t.editHeading(proposal.title),
    action: `/workspace/groups/${group.handle}/posts/${proposal.id}/edit`,
  });

  app.get("/workspace/groups/:handle/posts/new", ...coordinators, async (c) => {
    const group = c.get("group");
    return renderPostForm(c, {
      ...newPostForm(c, group),
      values: EMPTY_INTAKE,
      audience: "public",
      incidents: await incidentChoices(group),
      incident: "",
    });
  });

  /**
   * The place step of a form: what the typed place was understood as. Not
   * ready (a problem, an ambiguous name, or nothing picked yet): the form
   * again, showing it, and nothing stored.
   */
  const placeOf = async (group: Group, typed: TypedPost, pick: string) => {
    const step = await groupPlaceStep(db, group.id, typed.values.place, pick);
    return { step, decision: placeDecision(step) };
  };

  app.post("/workspace/groups/:handle/posts/new", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const form = newPostForm(c, group);
    const body = await c.req.parseBody();
    const typed = typedPost(body);
    const { values, audience, incident } = typed;
    const place = await placeOf(group, typed, formField(body, "placePick"));
    if (!place.decision.ready) {
      const { problem } = place.decision;
      return renderPostForm(
        c,
        {
          ...form,
          ...typed,
          placeStep: place.step,
          problems: problem === undefined ? {} : { place: problem },
          incidents: await incidentChoices(group),
        },
        problem === undefined ? 200 : 422,
      );
    }
    const tag = incident === "" ? null : incident;
    const result = await createPostFromForm(
      deps,
      group,
      form.purpose,
      values,
      audience,
      tag,
      place.decision.location,
    );
    if (result.ok) return c.redirect(`/workspace/groups/${group.handle}/posts?done=saved`, 303);
    return formFailure(c, result, {
      ...form,
      ...typed,
      placeStep: place.step,
      incidents: await incidentChoices(group),
    });
  });

  /** The route's group and its live need or offer `:id`. */
  const coordinatedProposal = async (c: Context) => {
    const group = c.get("group");
    const proposal = await liveProposalOf(db, group, c.req.param("id") ?? "");
    return proposal === null ? null : { group, proposal };
  };

  app.get("/workspace/groups/:handle/posts/:id/edit", ...coordinators, async (c) => {
    const found = await coordinatedProposal(c);
    if (found === null) return notFoundPage(c, urls);
    const { group, proposal } = found;
    return renderPostForm(c, {
      ...editPostForm(c, group, proposal),
      values: formValuesOf(proposal, collectiveZone(group, deps.timeZone)),
      audience: proposal.audience,
      incidents: await incidentChoices(group, proposal),
      incident: proposal.incident ?? "",
    });
  });

  app.post("/workspace/groups/:handle/posts/:id/edit", ...guards, ...coordinators, async (c) => {
    const found = await coordinatedProposal(c);
    if (found === null) return notFoundPage(c, urls);
    const { group, proposal } = found;
    const body = await c.req.parseBody();
    const typed = typedPost(body);
    const { values, audience, incident } = typed;
    // An unchanged place keeps what is stored (its coordinates too): no step.
    let location: Location | null | undefined;
    if (
      values.place.trim() !== formValuesOf(proposal, collectiveZone(group, deps.timeZone)).place
    ) {
      const place = await placeOf(group, typed, formField(body, "placePick"));
      if (!place.decision.ready) {
        const { problem } = place.decision;
        return renderPostForm(
          c,
          {
            ...editPostForm(c, group, proposal),
            ...typed,
            placeStep: place.step,
            problems: problem === undefined ? {} : { place: problem },
            incidents: await incidentChoices(group, proposal),
          },
          problem === undefined ? 200 : 422,
        );
      }
      location = place.decision.location;
    }
    const tag = incident === "" ? null : incident;
    const result = await editPostFromForm(deps, group, proposal, values, audience, tag, location);
    if (result.ok) return c.redirect(`/workspace/groups/${group.handle}/posts?done=saved`, 303);
    return formFailure(c, result, {
      ...editPostForm(c, group, proposal),
      ...typed,
      incidents: await incidentChoices(group, proposal),
    });
  });

  const renderDelete = (
    c: Context,
    found: NonNullable<Awaited<ReturnType<typeof coordinatedProposal>>>,
    notConfirmed: boolean,
  ) => {
    return workspaceHtml(
      c,
      urls,
      DeletePostPage,
      { ...found, notConfirmed },
      notConfirmed ? 422 : 200,
    );
  };

  app.get("/workspace/groups/:handle/posts/:id/delete", ...coordinators, async (c) => {
    const found = await coordinatedProposal(c);
    if (found === null) return notFoundPage(c, urls);
    return renderDelete(c, found, false);
  });

  app.post("/workspace/groups/:handle/posts/:id/delete", ...guards, ...coordinators, async (c) => {
    const found = await coordinatedProposal(c);
    if (found === null) return notFoundPage(c, urls);
    if (formField(await c.req.parseBody(), "confirm") !== "1") return renderDelete(c, found, true);
    // The same use case as the API's DELETE: marked deleted, Delete federated after commit.
    if (!(await deleteProposal(deps, found.proposal))) return notFoundPage(c, urls);
    return c.redirect(`/workspace/groups/${found.group.handle}/posts?done=deleted`, 303);
  });
}
