import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { IntakeField, IntakeInput, IntakeProblem } from "../../domain/intake.ts";
import {
  type Audience,
  canChangeStatus,
  type Proposal,
  type ProposalStatus,
  type Purpose,
  TERMINAL_STATUSES,
} from "../../domain/proposal.ts";
import type { PlaceStep } from "../../services/place-input.ts";
import type { IncidentRefusal } from "../../services/proposals.ts";
import { collectivePage, type PageContext, zoneOf } from "../context.ts";
import { formatInstant } from "../format.ts";
import { ConfirmStepPage } from "./confirm-step.ts";
import { IntakeFields } from "./intake-form.ts";
import { coverageText } from "./responses.ts";

import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** The status moves a coordinator can make by hand (`expired` is the server's). */
const MANUAL_STATUSES = [
  "pledged",
  "fulfilled",
  "closed",
] as const satisfies readonly ProposalStatus[];

/** A group's needs and offers with their status buttons. */
export function PostsPage({
  page,
  account,
  csrf,
  group,
  proposals,
  notice,
}: WorkspaceView & {
  group: Group;
  proposals: readonly Proposal[];
  notice?: string | undefined;
}) {
  const { t, locale, urls } = page;
  const zone = zoneOf(page, group);
  const base = `/workspace/groups/${group.handle}/posts`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.postsHeading(group.name),
    notice,
    actions: [
      { href: `${base}/new?purpose=request`, text: t.newNeed, button: "primary" },
      { href: `${base}/new?purpose=offer`, text: t.newOffer, button: "secondary" },
      {
        href: `/workspace/groups/${group.handle}/incidents`,
        text: t.incidents,
        button: "secondary",
      },
      {
        href: `/workspace/groups/${group.handle}/places`,
        text: t.groupPlaces,
        button: "secondary",
      },
    ],
    children: [
      proposals.length === 0
        ? h("p", null, t.postsEmpty)
        : h(
            "ul",
            { class: "items" },
            proposals.map((p) =>
              h(
                "li",
                { id: `p-${p.id}` },
                h(
                  "a",
                  { href: urls.proposalPage(p.purpose, p.id).pathname },
                  `${p.purpose === "request" ? t.need : t.offer}: ${p.title}`,
                ),
                h(
                  "div",
                  { class: "meta" },
                  `${t.status}: `,
                  h("span", { "data-status": p.status }, t.statuses[p.status]),
                  ` · ${formatInstant(p.createdAt, locale, zone)}`,
                  p.audience === "followers" ? ` · ${t.audiences.followers}` : null,
                  coverageLine(p),
                ),
                h(
                  "form",
                  { method: "post", action: `${base}/${p.id}/status`, class: "actions" },
                  csrfInput(csrf),
                  h(
                    "a",
                    { class: "button secondary", href: `${base}/${p.id}/responses` },
                    t.responses,
                  ),
                  TERMINAL_STATUSES.has(p.status)
                    ? null
                    : h("a", { class: "button secondary", href: `${base}/${p.id}/edit` }, t.edit),
                  h(
                    "a",
                    { class: "button secondary", href: `${base}/${p.id}/delete` },
                    t.deletePost,
                  ),
                  MANUAL_STATUSES.filter((s) => s !== p.status && canChangeStatus(p.status, s)).map(
                    (s) =>
                      h(
                        "button",
                        { type: "submit", name: "status", value: s, class: "secondary" },
                        t.markAs[s],
                      ),
                  ),
                ),
              ),
            ),
          ),
    ],
  });

  function coverageLine(p: Proposal) {
    const text = coverageText(page, p);
    return text === null ? null : ` · ${text}`;
  }
}

/** An incident the post may be tagged with, for the form's select. */
export interface IncidentChoice {
  readonly objectId: string;
  readonly name: string;
}

/** Write a new need or offer, or edit one: the intake fields, contact private and optional. */
export function PostFormPage({
  page,
  account,
  csrf,
  purpose,
  heading,
  action,
  values,
  audience,
  problems,
  formError,
  today,
  group,
  incidents,
  incident,
  incidentRefused,
  placeStep,
}: WorkspaceView & {
  purpose: Purpose;
  heading: string;
  action: string;
  values: IntakeInput;
  audience: Audience;
  problems: Partial<Record<IntakeField, IntakeProblem>>;
  formError?: string | undefined;
  today: Temporal.PlainDate;
  /** The collective: its zone is where a picked day ends. */
  group: Group;
  incidents: readonly IncidentChoice[];
  /** The selected incident's object id, "" for none. */
  incident: string;
  /** Why the chosen incident tag was refused, to say it next to the select. */
  incidentRefused?: IncidentRefusal | undefined;
  /** The place as understood, once the form was sent with one. */
  placeStep?: PlaceStep | undefined;
}) {
  const { t } = page;
  const hasProblems =
    formError !== undefined || incidentRefused !== undefined || Object.keys(problems).length > 0;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    children: [
      h("p", null, t.postPublicNote),
      hasProblems
        ? h("div", { class: "notice problem", role: "alert" }, formError ?? t.problemSummary)
        : null,
      h(
        "form",
        { method: "post", action, class: "stack" },
        csrfInput(csrf),
        IntakeFields({
          page: collectivePage(page, group),
          purpose,
          values,
          problems,
          today,
          idPrefix: "f-",
          contact: { label: t.privateContact, hint: t.privateContactHint, required: false },
          // Coordinators' place field: a name, a map link or coordinates.
          placeStep: placeStep ?? { kind: "empty" },
        }),
        h(
          "fieldset",
          null,
          h("legend", null, t.audienceLabel),
          (["public", "followers"] as const).map((a) =>
            h(
              "div",
              null,
              h("input", {
                type: "radio",
                name: "audience",
                value: a,
                id: `f-audience-${a}`,
                checked: a === audience ? true : undefined,
                class: "choice",
              }),
              " ",
              h("label", { for: `f-audience-${a}`, class: "choice" }, t.audiences[a]),
            ),
          ),
        ),
        IncidentSelect({ page, incidents, incident, refused: incidentRefused ?? null }),
        h("div", null, h("button", { type: "submit" }, t.save)),
      ),
    ],
  });
}

/** The incident a need or offer is tagged with; a refused tag is said next to it. */
function IncidentSelect({
  page,
  incidents,
  incident,
  refused,
}: {
  page: PageContext;
  incidents: readonly IncidentChoice[];
  incident: string;
  refused: IncidentRefusal | null;
}) {
  const { t } = page;
  // A refused choice the list does not hold (pasted, or closed meanwhile) stays selected.
  const choices =
    incident !== "" && !incidents.some((i) => i.objectId === incident)
      ? [...incidents, { objectId: incident, name: incident }]
      : incidents;
  return h(
    "div",
    null,
    h("label", { for: "f-incident" }, t.fieldIncident),
    h("span", { class: "hint", id: "f-incident-hint" }, t.fieldIncidentHint),
    h(
      "select",
      {
        id: "f-incident",
        name: "incident",
        "aria-invalid": refused !== null ? "true" : undefined,
        "aria-describedby":
          refused !== null ? "f-incident-hint f-incident-error" : "f-incident-hint",
      },
      h("option", { value: "", selected: incident === "" ? true : undefined }, t.incidentNone),
      choices.map((i) =>
        h(
          "option",
          { value: i.objectId, selected: i.objectId === incident ? true : undefined },
          i.name,
        ),
      ),
    ),
    refused !== null
      ? h("p", { class: "error", id: "f-incident-error" }, t.incidentRefusals[refused])
      : null,
  );
}

/** The confirmation step before deleting: marked deleted, and a Delete federated. */
export function DeletePostPage({
  group,
  proposal,
  notConfirmed,
  ...view
}: WorkspaceView & {
  group: Group;
  proposal: Proposal;
  notConfirmed: boolean;
}) {
  const { t } = view.page;
  const base = `/workspace/groups/${group.handle}/posts`;
  return ConfirmStepPage({
    ...view,
    title: t.deleteHeading(proposal.title),
    text: t.deleteText,
    action: `${base}/${proposal.id}/delete`,
    box: { id: "delete-confirm", label: t.deleteConfirm, notTicked: t.deleteNotConfirmed },
    notConfirmed,
    button: t.deleteButton,
    cancel: { href: base, text: t.deleteCancel },
  });
}

/** The step before ending a need or offer by hand: fulfilled or closed, it cannot be reopened. */
export function StatusChangePage({
  group,
  proposal,
  status,
  notConfirmed,
  ...view
}: WorkspaceView & {
  group: Group;
  proposal: Proposal;
  status: "fulfilled" | "closed";
  notConfirmed: boolean;
}) {
  const { t } = view.page;
  const base = `/workspace/groups/${group.handle}/posts`;
  return ConfirmStepPage({
    ...view,
    title: t.statusStepHeading[status](proposal.title),
    text: t.statusStepText[status],
    action: `${base}/${proposal.id}/status`,
    box: { id: "status-confirm", label: t.statusStepConfirm[status], notTicked: t.tickToConfirm },
    notConfirmed,
    carry: { status },
    button: t.markAs[status],
    cancel: { href: base, text: t.confirmCancel },
  });
}
