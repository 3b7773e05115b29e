import { type Child, jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import {
  DECLINE_NOTE_MAX,
  DECLINE_REASONS,
  type DeclineProblem,
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
  type IntakeRequest,
} from "../../domain/intake.ts";
import { deadlineDate } from "../../domain/time-zone.ts";
import type { PlaceStep } from "../../services/place-input.ts";
import type { DuplicateOf } from "../../services/triage.ts";
import { collectivePage, zoneOf } from "../context.ts";
import { formatCoordinates, formatDeadline, formatInstant, formatQuantity } from "../format.ts";
import { isLocale, LOCALE_NAMES } from "../i18n/locale.ts";
import { ConfirmStepPage } from "./confirm-step.ts";
import { FormField } from "./form-field.ts";
import { IntakeFields } from "./intake-form.ts";

import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** What a coordinator is correcting: the request, their input and its problems. */
export interface TriageEdit {
  readonly id: string;
  readonly values: IntakeInput;
  readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
  /** The place as understood, to check or choose before publishing. */
  readonly placeStep?: PlaceStep | undefined;
}

/** A decline form sent back: what was chosen and typed, and what is wrong with it. */
export interface DeclineEdit {
  readonly id: string;
  readonly reason: string;
  readonly note: string;
  readonly problems: DeclineProblem;
}

/** A request as the coordinator's publish form starts: everything but the contact. */
export function publishDefaults(r: IntakeRequest): IntakeInput {
  return {
    title: r.title,
    description: r.description,
    category: r.category,
    quantityAmount: r.quantity?.amount ?? "",
    quantityUnit: r.quantity?.unit ?? "one",
    place: r.place ?? "",
    urgency: r.urgency,
    // Requests sent before dates were kept as dates ended at midnight UTC.
    neededBy: r.neededBy === null ? "" : deadlineDate(r.neededBy, r.neededOn, "UTC").toString(),
    contact: "",
  };
}

export function TriagePage({
  page,
  account,
  csrf,
  group,
  requests,
  duplicates,
  partners,
  today,
  notice,
  edit,
  declineEdit,
}: WorkspaceView & {
  group: Group;
  requests: readonly IntakeRequest[];
  /** Per queued request, the others it may repeat. */
  duplicates?: ReadonlyMap<string, readonly DuplicateOf[]> | undefined;
  /** The group's partner links' labels by id: whom a request came through. */
  partners?: ReadonlyMap<string, string> | undefined;
  today: Temporal.PlainDate;
  notice?: string | undefined;
  edit?: TriageEdit | undefined;
  declineEdit?: DeclineEdit | undefined;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const base = `/workspace/groups/${group.handle}/triage`;
  const item = (r: IntakeRequest): Child => {
    const editing = edit?.id === r.id ? edit : undefined;
    const fact = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
    return h(
      "li",
      { id: `r-${r.id}` },
      h("h2", null, `${r.purpose === "request" ? t.kindRequest : t.kindOffer}: ${r.title}`),
      DuplicateNotice(duplicates?.get(r.id) ?? []),
      h("h3", null, t.fromPerson),
      h(
        "dl",
        { class: "facts" },
        fact(t.fieldCategory, t.categories[r.category]),
        fact(t.urgency, t.urgencies[r.urgency]),
        r.quantity === null
          ? null
          : fact(t.quantity, formatQuantity(r.quantity.amount, r.quantity.unit, locale)),
        r.place === null
          ? null
          : fact(
              t.where,
              r.placePoint == null
                ? r.place
                : `${r.place} (${formatCoordinates(r.placePoint.latitude, r.placePoint.longitude)})`,
            ),
        r.neededBy === null
          ? null
          : fact(
              t.neededBy,
              formatDeadline({ expiresAt: r.neededBy, expiresOn: r.neededOn }, locale, zone),
            ),
        fact(t.personContact, r.contact),
        fact(t.language, isLocale(r.language) ? LOCALE_NAMES[r.language] : r.language),
        fact(t.sentOn, formatInstant(r.createdAt, locale, zone)),
        r.partnerLinkId == null
          ? null
          : fact(t.sentThrough, partners?.get(r.partnerLinkId) ?? t.partnerLinks),
      ),
      r.description === "" ? null : h("p", null, r.description),
      h(
        "details",
        { open: editing === undefined ? undefined : true },
        h("summary", null, t.publishAs),
        h(
          "form",
          { method: "post", action: `${base}/${r.id}/publish`, class: "stack" },
          csrfInput(csrf),
          IntakeFields({
            page: collectivePage(page, group),
            purpose: r.purpose,
            values: editing?.values ?? publishDefaults(r),
            problems: editing?.problems ?? {},
            today,
            idPrefix: `p-${r.id}-`,
            contact: { label: t.privateContact, hint: t.privateContactHint, required: false },
            placeStep: editing?.placeStep ?? { kind: "empty" },
          }),
          h("div", null, h("button", { type: "submit" }, t.publish)),
        ),
      ),
      DeclineForm(r),
    );
  };
  const queued = new Set(requests.map((r) => r.id));
  const DuplicateNotice = (others: readonly DuplicateOf[]): Child =>
    others.length === 0
      ? null
      : h(
          "ul",
          { class: "notice duplicates", "aria-label": t.possibleDuplicate },
          others.map((other) => {
            const why = other.reasons
              .map((reason) =>
                reason === "same-contact" ? t.duplicateSameContact : t.duplicateSimilarText,
              )
              .join(", ");
            // Another queued request is on this page; a published one has its page.
            const href = queued.has(other.id)
              ? `#r-${other.id}`
              : other.proposalId === null
                ? null
                : page.urls.proposalPage(other.purpose, other.proposalId).pathname;
            const name = t.duplicateOf(other.title);
            return h(
              "li",
              { "data-duplicate-of": other.id },
              h("strong", null, `${t.possibleDuplicate} `),
              href === null ? name : h("a", { href }, name),
              ` (${why}; ${t.intakeStateShort[other.state]})`,
            );
          }),
        );
  const DeclineForm = (r: IntakeRequest): Child => {
    const declining = declineEdit?.id === r.id ? declineEdit : undefined;
    const problems = declining?.problems ?? {};
    return h(
      "details",
      { open: declining === undefined ? undefined : true },
      h("summary", null, t.decline),
      h(
        "form",
        { method: "post", action: `${base}/${r.id}/decline`, class: "stack" },
        csrfInput(csrf),
        FormField({
          id: `d-${r.id}-reason`,
          name: "reason",
          label: t.declineReasonLabel,
          problem: problems.reason === undefined ? undefined : t.declineReasonRequired,
          control: (a) =>
            h(
              "select",
              { ...a, required: true },
              h("option", { value: "" }, "—"),
              DECLINE_REASONS.map((reason) =>
                h(
                  "option",
                  { value: reason, selected: declining?.reason === reason ? true : undefined },
                  t.declineReasons[reason],
                ),
              ),
            ),
        }),
        FormField({
          id: `d-${r.id}-note`,
          name: "note",
          label: t.declineNoteLabel,
          hint: t.declineNoteHint,
          problem: problems.note === undefined ? undefined : t.problems["too-long"],
          control: (a) =>
            h("textarea", { ...a, maxlength: DECLINE_NOTE_MAX, rows: 2 }, declining?.note ?? ""),
        }),
        h("div", null, h("button", { type: "submit", class: "secondary" }, t.decline)),
      ),
    );
  };
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.triageHeading(group.name),
    notice,
    children: [
      h("p", null, t.triageIntro),
      requests.length === 0
        ? h("p", null, t.triageEmpty)
        : h("ol", { class: "items" }, requests.map(item)),
    ],
  });
}

/** The step before declining a request: the person's status page will say so, and it cannot be undone. */
export function DeclineIntakePage({
  group,
  request,
  carry,
  notConfirmed,
  ...view
}: WorkspaceView & {
  group: Group;
  request: IntakeRequest;
  carry: Readonly<Record<string, string>>;
  notConfirmed: boolean;
}) {
  const { t } = view.page;
  const base = `/workspace/groups/${group.handle}/triage`;
  return ConfirmStepPage({
    ...view,
    title: t.declineHeading(request.title),
    text: t.declineText,
    action: `${base}/${request.id}/decline`,
    box: { id: "decline-confirm", label: t.declineConfirm, notTicked: t.tickToConfirm },
    notConfirmed,
    carry,
    button: t.decline,
    cancel: { href: base, text: t.confirmCancel },
  });
}
