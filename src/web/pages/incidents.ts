import { type Child, jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import { INCIDENT_LIMITS } from "../../domain/incident.ts";
import { canonicalTimeZone, selectableTimeZones } from "../../domain/time-zone.ts";
import type {
  GroupIncidentEntry,
  IncidentFormField,
  IncidentFormInput,
  IncidentFormProblems,
} from "../../services/workspace-incidents.ts";
import { type PageContext, zoneOf } from "../context.ts";
import { formatInstant } from "../format.ts";
import type { Messages } from "../i18n/en.ts";
import { ConfirmStepPage } from "./confirm-step.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** Why a join was not sent, shown next to the field. */
export type JoinProblem = keyof Messages["joinProblems"];

/** A remote actor id, linked only when it is a web address (never `javascript:`). */
function actorLink(actorId: string) {
  return /^https?:\/\//i.test(actorId) ? h("a", { href: actorId }, actorId) : actorId;
}

/** The public page of an incident: its object id is that page (ours and copies alike). */
function publicPath(page: PageContext, entry: GroupIncidentEntry): string {
  const url = new URL(entry.incident.objectId);
  return url.origin === page.urls.origin.origin ? url.pathname : url.href;
}

/** The incidents a group opened or joined, a way to close its own, and a box to join one more. */
export function IncidentsPage({
  page,
  account,
  csrf,
  group,
  entries,
  notice,
  problem,
  input,
}: WorkspaceView & {
  group: Group;
  entries: readonly GroupIncidentEntry[];
  notice?: string | undefined;
  problem?: JoinProblem | undefined;
  input?: string | undefined;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const heading = t.incidentsHeading(group.name);
  const base = `/workspace/groups/${group.handle}/incidents`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    notice,
    actions: [
      { href: `${base}/new`, text: t.openIncident, button: "primary" },
      { href: `/workspace/groups/${group.handle}/posts`, text: t.posts, button: "secondary" },
    ],
    children: [
      h("p", null, t.incidentsIntro),
      entries.length === 0
        ? h("p", null, t.incidentsEmpty)
        : h(
            "ul",
            { class: "items", id: "incidents" },
            entries.map((entry) => {
              const { incident } = entry;
              const others = entry.participants.filter((p) => p.groupId !== group.id);
              return h(
                "li",
                { id: `i-${incident.id}` },
                h("strong", null, incident.name),
                h(
                  "div",
                  { class: "meta" },
                  h(
                    "span",
                    { "data-status": incident.status },
                    t.incidentStatuses[incident.status],
                  ),
                  " · ",
                  h("span", { "data-role": entry.role }, t.incidentRoles[entry.role]),
                  entry.participation === null
                    ? null
                    : [
                        " · ",
                        h(
                          "span",
                          { "data-participation": entry.participation },
                          t.incidentParticipation[entry.participation],
                        ),
                      ],
                ),
                h(
                  "div",
                  { class: "meta" },
                  t.incidentWhen(
                    formatInstant(incident.startsAt, locale, zone),
                    incident.endsAt === null ? null : formatInstant(incident.endsAt, locale, zone),
                  ),
                ),
                entry.role === "owner"
                  ? null
                  : h(
                      "div",
                      { class: "meta" },
                      t.incidentOwner,
                      " ",
                      actorLink(incident.ownerActorId),
                    ),
                others.length === 0
                  ? h("p", { class: "meta" }, t.incidentNoParticipants)
                  : h(
                      "div",
                      { class: "meta" },
                      t.incidentParticipants,
                      " ",
                      others.map((p, i) => [
                        i === 0 ? null : ", ",
                        actorLink(p.actorId),
                        ` (${t.incidentParticipation[p.state]})`,
                      ]),
                    ),
                h(
                  "p",
                  { class: "actions" },
                  h(
                    "a",
                    {
                      class: "button secondary",
                      href: publicPath(page, entry),
                      "aria-label": t.incidentPublicPageNamed(incident.name),
                    },
                    t.incidentPublicPage,
                  ),
                  entry.role === "owner" && incident.status === "open"
                    ? h(
                        "a",
                        {
                          class: "button secondary",
                          href: `${base}/${incident.id}/close`,
                          "aria-label": t.incidentCloseNamed(incident.name),
                        },
                        t.incidentClose,
                      )
                    : null,
                ),
              );
            }),
          ),
      h("h2", null, t.joinIncident),
      h(
        "form",
        { method: "post", action: `${base}/join`, class: "stack" },
        csrfInput(csrf),
        h(
          "div",
          null,
          h("label", { for: "join-incident" }, t.joinIncidentLabel),
          h("span", { class: "hint", id: "join-incident-hint" }, t.joinIncidentHint),
          h("input", {
            id: "join-incident",
            name: "incident",
            type: "url",
            required: true,
            maxlength: 2048,
            autocapitalize: "none",
            spellcheck: "false",
            value: input ?? "",
            "aria-invalid": problem === undefined ? undefined : "true",
            "aria-describedby":
              problem === undefined
                ? "join-incident-hint"
                : "join-incident-hint join-incident-error",
          }),
          problem === undefined
            ? null
            : h("p", { class: "error", id: "join-incident-error" }, t.joinProblems[problem]),
        ),
        h("div", null, h("button", { type: "submit" }, t.joinIncidentButton)),
      ),
    ],
  });
}

/** The form to open an incident: name, area (circle or box), time window in a named zone. */
export function OpenIncidentPage({
  page,
  account,
  csrf,
  group,
  values,
  problems,
  defaultZone,
}: WorkspaceView & {
  group: Group;
  values: IncidentFormInput;
  problems: IncidentFormProblems;
  /** The collective's zone, chosen unless another is picked. */
  defaultZone: string;
}) {
  const { t } = page;
  const heading = t.openIncidentHeading(group.name);
  const base = `/workspace/groups/${group.handle}/incidents`;

  const field = (
    name: IncidentFormField,
    label: string,
    control: (attrs: Record<string, unknown>) => Child,
    hint?: string,
  ) => {
    const problem = problems[name];
    const text = problem === undefined ? undefined : t.incidentProblems[problem];
    return FormField({ id: `inc-${name}`, name, label, hint, problem: text, control });
  };
  // Text, not type=number: a Spanish keyboard types "14,6", which the server reads.
  const degrees = (name: IncidentFormField, label: string, hint?: string) =>
    field(
      name,
      label,
      (a) => h("input", { ...a, type: "text", inputmode: "decimal", value: values[name] }),
      hint,
    );
  const areaKind = values.areaKind === "bbox" ? "bbox" : "circle";

  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    children: [
      Object.keys(problems).length > 0
        ? h("div", { class: "notice problem", role: "alert" }, t.problemSummary)
        : null,
      h(
        "form",
        { method: "post", action: `${base}/new`, class: "stack" },
        csrfInput(csrf),
        field(
          "name",
          t.incidentName,
          (a) =>
            h("input", {
              ...a,
              type: "text",
              required: true,
              maxlength: INCIDENT_LIMITS.nameMax,
              value: values.name,
            }),
          t.incidentNameHint,
        ),
        field("description", t.incidentDescription, (a) =>
          h(
            "textarea",
            { ...a, rows: 4, maxlength: INCIDENT_LIMITS.descriptionMax },
            values.description,
          ),
        ),
        h(
          "fieldset",
          { "aria-describedby": "inc-area-hint" },
          h("legend", null, t.incidentArea),
          h("p", { class: "hint", id: "inc-area-hint" }, t.incidentAreaHint),
          (["circle", "bbox"] as const).map((kind) =>
            h(
              "div",
              null,
              h("input", {
                type: "radio",
                name: "areaKind",
                value: kind,
                id: `inc-areaKind-${kind}`,
                checked: kind === areaKind ? true : undefined,
                class: "choice",
              }),
              " ",
              h(
                "label",
                { for: `inc-areaKind-${kind}`, class: "choice" },
                t.incidentAreaKinds[kind],
              ),
            ),
          ),
        ),
        h(
          "fieldset",
          null,
          h("legend", null, t.incidentCircle),
          degrees("centerLatitude", t.incidentCenterLatitude, t.incidentDegreesHint),
          degrees("centerLongitude", t.incidentCenterLongitude),
          degrees("radiusKm", t.incidentRadius),
        ),
        h(
          "fieldset",
          null,
          h("legend", null, t.incidentBox),
          degrees("south", t.incidentSouth, t.incidentBoxHint),
          degrees("west", t.incidentWest),
          degrees("north", t.incidentNorth),
          degrees("east", t.incidentEast),
        ),
        field(
          "timeZone",
          t.incidentTimeZone,
          (a) => {
            // A list, not a typed name: the collective's zone is chosen
            // unless the coordinator picks another.
            const chosen = canonicalTimeZone(values.timeZone) ?? defaultZone;
            return h(
              "select",
              a,
              selectableTimeZones().map((zone) =>
                h("option", { value: zone, selected: zone === chosen }, zone),
              ),
            );
          },
          t.incidentTimeZoneHint(defaultZone),
        ),
        field("startsAt", t.incidentStartsAt, (a) =>
          h("input", { ...a, type: "datetime-local", required: true, value: values.startsAt }),
        ),
        field("endsAt", t.incidentEndsAt, (a) =>
          h("input", { ...a, type: "datetime-local", value: values.endsAt }),
        ),
        h(
          "p",
          { class: "actions" },
          h("button", { type: "submit" }, t.openIncidentButton),
          h("a", { class: "button secondary", href: base }, t.incidents),
        ),
      ),
    ],
  });
}

/** The confirmation step before closing: the incident's participants are told it ended. */
export function CloseIncidentPage({
  group,
  incident,
  notConfirmed,
  ...view
}: WorkspaceView & {
  group: Group;
  incident: { readonly id: string; readonly name: string };
  notConfirmed: boolean;
}) {
  const { t } = view.page;
  const base = `/workspace/groups/${group.handle}/incidents`;
  return ConfirmStepPage({
    ...view,
    title: t.closeIncidentHeading(incident.name),
    text: t.closeIncidentText,
    action: `${base}/${incident.id}/close`,
    box: {
      id: "close-confirm",
      label: t.closeIncidentConfirm,
      notTicked: t.closeIncidentNotConfirmed,
    },
    notConfirmed,
    button: t.closeIncidentButton,
    cancel: { href: base, text: t.closeIncidentCancel },
  });
}
