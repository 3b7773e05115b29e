import { type Child, jsx as h } from "hono/jsx";
import { CATEGORY_SLUGS } from "../../domain/categories.ts";
import type { Group } from "../../domain/group.ts";
import {
  INTAKE_LIMITS,
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
} from "../../domain/intake.ts";
import type { Purpose } from "../../domain/proposal.ts";
import { endOfDay, MAX_YEAR } from "../../domain/time-zone.ts";
import { UNITS } from "../../domain/units.ts";
import type { PlaceCandidate, PlaceStep } from "../../services/place-input.ts";
import { collectivePage, type PageContext } from "../context.ts";
import { formatCoordinates, zoneAbbreviation } from "../format.ts";
import { Layout } from "../layout.ts";
import { FormField } from "./form-field.ts";
import { URGENCIES } from "./group.ts";
import { type SmsChannel, SmsChannelNote } from "./sms-channel.ts";

/** The hidden field that people never see and form-filling robots do. */
export const HONEYPOT_FIELD = "website";
/** The form's one-time token: sending the same form twice makes one request. */
export const FORM_TOKEN_FIELD = "formToken";
/** A partner link's token, carried from the link into the form. */
export const PARTNER_FIELD = "partner";

export const EMPTY_INTAKE: IntakeInput = {
  title: "",
  description: "",
  category: "",
  quantityAmount: "",
  quantityUnit: "one",
  place: "",
  urgency: "normal",
  neededBy: "",
  contact: "",
};

/** The optional number for text updates (shown when the collective has an SMS gateway). */
export const SMS_UPDATES_FIELD = "smsUpdates";
export const EMAIL_UPDATES_FIELD = "emailUpdates";

export interface IntakeFormProps {
  readonly page: PageContext;
  readonly group: Group;
  readonly purpose: Purpose;
  readonly values: IntakeInput;
  readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
  /** A problem with the whole submission (rate limit, honeypot, size). */
  readonly formError?: string | undefined;
  /** Today's date, the earliest a "needed by" may be. */
  readonly today: Temporal.PlainDate;
  /** This form's one-time token. */
  readonly formToken: string;
  /** The partner link it was opened through, or null. */
  readonly partner: string | null;
  /** The collective's SMS number, when it takes requests by text. */
  readonly sms?: SmsChannel | null;
  /** The number typed for text updates, and whether it was refused. */
  readonly smsUpdates?: { readonly value: string; readonly bad: boolean };
  /** Whether email can leave the instance: only then is an address for updates asked for. */
  readonly emailUpdatesOffered?: boolean;
  readonly emailUpdates?: { readonly value: string; readonly bad: boolean };
}

/** The request's fields, shared by the public form and the coordinators' publish form. */
export function IntakeFields(props: {
  readonly page: PageContext;
  readonly purpose: Purpose;
  readonly values: IntakeInput;
  readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
  readonly today: Temporal.PlainDate;
  /** Keeps ids unique when a page has several of these forms. */
  // `page` is the collective's (collectivePage): its zone is the dates' zone.
  readonly idPrefix: string;
  readonly contact: { readonly label: string; readonly hint: string; readonly required: boolean };
  /**
   * Coordinators' forms: the place is read as a name, a map link or
   * coordinates, and what was understood is shown to pick from before saving.
   */
  readonly placeStep?: PlaceStep | undefined;
}): Child[] {
  const { page, purpose, values, problems, today, idPrefix, contact, placeStep } = props;
  const { t } = page;
  const isRequest = purpose === "request";

  const field = (
    name: IntakeField,
    label: string,
    control: (attrs: Record<string, unknown>) => Child,
    hint?: string,
  ) => {
    const problem = problems[name];
    const text = problem === undefined ? undefined : t.problems[problem];
    return FormField({ id: `${idPrefix}${name}`, name, label, hint, problem: text, control });
  };
  const options = (selected: string, entries: readonly (readonly [string, string])[]) =>
    entries.map(([value, text]) =>
      h("option", { value, selected: value === selected ? true : undefined }, text),
    );

  return [
    field(
      "title",
      isRequest ? t.fieldTitleRequest : t.fieldTitleOffer,
      (a) =>
        h("input", {
          ...a,
          type: "text",
          required: true,
          maxlength: INTAKE_LIMITS.title,
          value: values.title,
        }),
      isRequest ? t.fieldTitleRequestHint : t.fieldTitleOfferHint,
    ),
    field("category", t.fieldCategory, (a) =>
      h(
        "select",
        { ...a, required: true },
        h("option", { value: "" }, "—"),
        options(
          values.category,
          CATEGORY_SLUGS.map((c) => [c, t.categories[c]] as const),
        ),
      ),
    ),
    field("urgency", t.fieldUrgency, (a) =>
      h(
        "select",
        a,
        options(
          values.urgency,
          URGENCIES.map((u) => [u, t.urgencies[u]] as const),
        ),
      ),
    ),
    field(
      "contact",
      contact.label,
      (a) =>
        h(
          "textarea",
          { ...a, required: contact.required, maxlength: INTAKE_LIMITS.contact, rows: 2 },
          values.contact,
        ),
      contact.hint,
    ),
    h(
      "div",
      { class: "inline" },
      field("quantityAmount", t.fieldQuantity, (a) =>
        h("input", { ...a, type: "text", inputmode: "decimal", value: values.quantityAmount }),
      ),
      field("quantityUnit", t.fieldUnit, (a) =>
        h(
          "select",
          a,
          options(
            values.quantityUnit,
            UNITS.map((u) => [u, t.units[u]] as const),
          ),
        ),
      ),
    ),
    field(
      "place",
      placeStep === undefined ? t.fieldPlace : t.fieldPlaceCoordinator,
      (a) =>
        h("input", {
          ...a,
          type: "text",
          maxlength: INTAKE_LIMITS.place,
          value: values.place,
        }),
      placeStep === undefined ? t.fieldPlaceHint : t.fieldPlaceCoordinatorHint,
    ),
    placeStep?.kind === "choose" ? PlaceChoices({ page, step: placeStep, idPrefix }) : null,
    field(
      "neededBy",
      isRequest ? t.fieldNeededBy : t.fieldAvailableUntil,
      (a) =>
        h("input", {
          ...a,
          type: "date",
          min: today.toString(),
          max: `${MAX_YEAR}-12-31`,
          value: values.neededBy,
        }),
      // The page is the collective's: its zone is where the day ends.
      t.fieldDateHint(
        `${page.timeZone} (${zoneAbbreviation(endOfDay(today, page.timeZone), page.locale, page.timeZone)})`,
      ),
    ),
    field(
      "description",
      t.fieldDescription,
      (a) =>
        h("textarea", { ...a, maxlength: INTAKE_LIMITS.description, rows: 4 }, values.description),
      t.fieldDescriptionHint,
    ),
  ];
}

/**
 * Ask for help / offer help. Short on purpose: two required fields (what and
 * how to reach you), everything else optional, so a person in a crisis is
 * done in under a minute on a phone.
 */
export function IntakeFormPage(props: IntakeFormProps) {
  const { page, group, purpose, values, problems, formError, today, formToken, partner } = props;
  const { t } = page;
  const isRequest = purpose === "request";
  const heading = isRequest ? t.askHeading(group.name) : t.offerHeading(group.name);
  const hasProblems = formError !== undefined || Object.keys(problems).length > 0;
  return Layout({
    page,
    title: heading,
    children: [
      h("h1", null, heading),
      h("p", null, isRequest ? t.askIntro : t.offerIntro),
      isRequest ? SmsChannelNote({ page, channel: props.sms }) : null,
      hasProblems
        ? h(
            "div",
            { class: "notice problem", role: "alert", id: "form-problem" },
            formError ?? t.problemSummary,
          )
        : null,
      h(
        "form",
        {
          method: "post",
          action: `/groups/${group.handle}/${isRequest ? "ask" : "offer"}`,
          class: "stack",
          "accept-charset": "utf-8",
        },
        h("input", { type: "hidden", name: FORM_TOKEN_FIELD, value: formToken }),
        partner === null
          ? null
          : h("input", { type: "hidden", name: PARTNER_FIELD, value: partner }),
        IntakeFields({
          page: collectivePage(page, group),
          purpose,
          values,
          problems,
          today,
          idPrefix: "f-",
          contact: { label: t.fieldContact, hint: t.fieldContactHint, required: true },
        }),
        props.sms == null
          ? null
          : FormField({
              id: "f-smsUpdates",
              name: SMS_UPDATES_FIELD,
              label: t.sms.updatesField,
              hint: t.sms.updatesHint,
              problem: props.smsUpdates?.bad ? t.sms.badNumber : undefined,
              control: (attrs) =>
                h("input", {
                  ...attrs,
                  type: "tel",
                  autocomplete: "tel",
                  maxlength: 40,
                  value: props.smsUpdates?.value ?? "",
                }),
            }),
        props.emailUpdatesOffered !== true
          ? null
          : FormField({
              id: "f-emailUpdates",
              name: EMAIL_UPDATES_FIELD,
              label: t.email.updatesField,
              hint: t.email.updatesHint,
              problem: props.emailUpdates?.bad ? t.email.updatesInvalid : undefined,
              control: (attrs) =>
                h("input", {
                  ...attrs,
                  type: "email",
                  autocomplete: "email",
                  maxlength: 254,
                  value: props.emailUpdates?.value ?? "",
                }),
            }),
        h(
          "div",
          { class: "trap" },
          h("label", { for: "f-website" }, t.honeypotLabel),
          h("input", {
            id: "f-website",
            name: HONEYPOT_FIELD,
            type: "text",
            tabindex: -1,
            autocomplete: "off",
            value: "",
          }),
        ),
        h(
          "div",
          null,
          h("button", { type: "submit" }, isRequest ? t.submitRequest : t.submitOffer),
        ),
      ),
    ],
  });
}

/**
 * What the "where" was understood as: one choice checked when it is clear
 * (a map link, coordinates, a name with one obvious place), none when the
 * name is ambiguous. Saving again stores the checked one.
 */
function PlaceChoices({
  page,
  step,
  idPrefix,
}: {
  page: PageContext;
  step: Extract<PlaceStep, { kind: "choose" }>;
  idPrefix: string;
}): Child {
  const { t } = page;
  const checked = step.picked?.key ?? step.preselected;
  const source = (c: PlaceCandidate) =>
    ({
      saved: t.placeSourceSaved,
      gazetteer: t.placeSourceGazetteer,
      link: t.placeSourceLink,
      coordinates: t.placeSourceCoordinates,
      text: t.placeSourceText,
    })[c.source];
  const describe = (c: PlaceCandidate) =>
    c.latitude === null || c.longitude === null
      ? `${c.name} (${source(c)})`
      : `${c.name} (${formatCoordinates(c.latitude, c.longitude)}; ${source(c)})`;
  return h(
    "fieldset",
    { class: "place-choices" },
    h("legend", null, step.candidates.length === 1 ? t.placeUnderstood : t.placeChoose),
    step.picked === null ? h("p", { class: "hint" }, t.placeCheck) : null,
    step.candidates.map((c, i) =>
      h(
        "div",
        null,
        h("input", {
          type: "radio",
          name: "placePick",
          value: c.key,
          id: `${idPrefix}placePick-${i}`,
          checked: c.key === checked ? true : undefined,
          class: "choice",
        }),
        " ",
        h("label", { for: `${idPrefix}placePick-${i}`, class: "choice" }, describe(c)),
      ),
    ),
  );
}
